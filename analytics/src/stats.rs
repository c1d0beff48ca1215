//! Small robust statistics used throughout the detector.

/// Median of the finite values in `v` (reorders `v`); `None` when there are none.
pub fn median_in_place(v: &mut [f64]) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    let hi = v[mid];
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = v[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((lo + hi) / 2.0)
}

/// Median of the finite values of an iterator.
pub fn median<I: IntoIterator<Item = f64>>(it: I) -> Option<f64> {
    let mut v: Vec<f64> = it.into_iter().filter(|x| x.is_finite()).collect();
    median_in_place(&mut v)
}

/// Robust standard deviation: 1.4826 × median absolute deviation of the finite values, or,
/// where more than half of them are equal and that is zero, 1.2533 × their mean absolute
/// deviation (a pump main at rest reads exactly zero most of the night, yet it does move).
/// `None` with fewer than `min_n` finite values.
pub fn robust_sd(values: &[f64], min_n: usize) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < min_n.max(1) {
        return None;
    }
    let c = median_in_place(&mut v)?;
    for x in v.iter_mut() {
        *x = (*x - c).abs();
    }
    let mean_ad = v.iter().sum::<f64>() / v.len() as f64;
    median_in_place(&mut v).map(|m| {
        if m > 0.0 {
            1.4826 * m
        } else {
            1.2533 * mean_ad
        }
    })
}

/// Trailing mean over `window` steps ending at each index, requiring `min_valid` finite values.
pub fn trailing_mean(values: &[f64], window: usize, min_valid: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; values.len()];
    let (mut sum, mut n) = (0.0, 0usize);
    for i in 0..values.len() {
        if values[i].is_finite() {
            sum += values[i];
            n += 1;
        }
        if i >= window {
            let old = values[i - window];
            if old.is_finite() {
                sum -= old;
                n -= 1;
            }
        }
        if n >= min_valid && n > 0 {
            out[i] = sum / n as f64;
        }
    }
    out
}

/// Trailing median over `window` steps ending at each index, requiring `min_valid` finite values.
pub fn trailing_median(values: &[f64], window: usize, min_valid: usize) -> Vec<f64> {
    let mut buf = Vec::with_capacity(window);
    (0..values.len())
        .map(|i| {
            buf.clear();
            buf.extend(
                values[(i + 1).saturating_sub(window)..=i]
                    .iter()
                    .filter(|x| x.is_finite()),
            );
            if buf.len() >= min_valid.max(1) {
                median_in_place(&mut buf).unwrap_or(f64::NAN)
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Least-squares slope of `y` on `x` through the origin over pairs where both are finite.
pub fn slope_through_origin(x: &[f64], y: &[f64]) -> Option<f64> {
    let (mut sxy, mut sxx, mut n) = (0.0, 0.0, 0usize);
    for (a, b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            sxy += a * b;
            sxx += a * a;
            n += 1;
        }
    }
    (n >= 10 && sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_values_mostly_equal_comes_from_their_mean_deviation() {
        // Six zeros and four readings of 5: the median deviation is zero, the mean 2.
        let v = [0.0, 0.0, 5.0, 0.0, 5.0, 0.0, 0.0, 5.0, 5.0, 0.0];
        let sd = robust_sd(&v, 3).expect("enough values");
        assert!((sd - 1.2533 * 2.0).abs() < 1e-12, "{sd}");
        assert_eq!(
            robust_sd(&[3.0; 8], 3),
            Some(0.0),
            "a constant has no spread"
        );
    }

    #[test]
    fn median_odd_even_and_nan() {
        assert_eq!(median([3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median([4.0, 1.0, f64::NAN, 2.0, 3.0]), Some(2.5));
        assert_eq!(median([f64::NAN]), None);
    }

    #[test]
    fn robust_sd_of_known_values() {
        // deviations from the median 3: 2,1,0,1,2 -> MAD 1
        let sd = robust_sd(&[1.0, 2.0, 3.0, 4.0, 5.0], 3).unwrap();
        assert!((sd - 1.4826).abs() < 1e-12);
        assert_eq!(robust_sd(&[1.0, f64::NAN], 2), None);
    }

    #[test]
    fn trailing_mean_skips_missing() {
        let m = trailing_mean(&[1.0, f64::NAN, 3.0, 5.0], 2, 1);
        assert_eq!(m[0], 1.0);
        assert_eq!(m[1], 1.0);
        assert_eq!(m[2], 3.0);
        assert_eq!(m[3], 4.0);
    }

    #[test]
    fn trailing_median_ignores_a_single_step_and_skips_missing() {
        let m = trailing_median(&[1.0, 100.0, 2.0, f64::NAN, 3.0], 3, 2);
        assert!(m[0].is_nan(), "one value of the two required");
        assert_eq!(m[1], 50.5);
        assert_eq!(m[2], 2.0, "the jump to 100 moves the mean, not the median");
        assert_eq!(m[3], 51.0);
        assert_eq!(m[4], 2.5);
    }

    #[test]
    fn slope_of_exact_line() {
        let x: Vec<f64> = (1..=20).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 0.5 * v).collect();
        assert!((slope_through_origin(&x, &y).unwrap() - 0.5).abs() < 1e-12);
    }
}

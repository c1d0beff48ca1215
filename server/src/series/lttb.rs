//! Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013): keeps the first and last
//! points and, from each bucket, the point forming the largest triangle with its neighbours,
//! so peaks and troughs survive where plain averaging would flatten them.

/// Indices of the points of `(x, y)` that LTTB keeps for a budget of `threshold`.
pub fn lttb(xs: &[f64], ys: &[f64], threshold: usize) -> Vec<usize> {
    let n = xs.len().min(ys.len());
    if threshold >= n || threshold < 3 {
        return (0..n).collect();
    }
    let mut keep = Vec::with_capacity(threshold);
    keep.push(0);
    let every = (n - 2) as f64 / (threshold - 2) as f64;
    let mut a = 0usize;
    for i in 0..threshold - 2 {
        // The next bucket's average is the third corner of the triangle.
        let next_start = ((i + 1) as f64 * every).floor() as usize + 1;
        let next_end = (((i + 2) as f64 * every).floor() as usize + 1).min(n);
        let (mut avg_x, mut avg_y) = (0.0, 0.0);
        let span = (next_end - next_start).max(1);
        for j in next_start..next_end.max(next_start + 1).min(n) {
            avg_x += xs[j];
            avg_y += ys[j];
        }
        avg_x /= span as f64;
        avg_y /= span as f64;
        let start = (i as f64 * every).floor() as usize + 1;
        let end = (((i + 1) as f64 * every).floor() as usize + 1).min(n - 1);
        let (ax, ay) = (xs[a], ys[a]);
        let mut best = start;
        let mut best_area = -1.0;
        for j in start..end {
            let area = ((ax - avg_x) * (ys[j] - ay) - (ax - xs[j]) * (avg_y - ay)).abs();
            if area > best_area {
                best_area = area;
                best = j;
            }
        }
        keep.push(best);
        a = best;
    }
    keep.push(n - 1);
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_under_budget() {
        assert_eq!(lttb(&[0.0, 1.0, 2.0], &[1.0, 2.0, 3.0], 10), vec![0, 1, 2]);
    }

    #[test]
    fn keeps_the_ends_the_budget_and_a_lone_spike() {
        let n = 10_000;
        let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut ys: Vec<f64> = (0..n).map(|i| (i as f64 / 300.0).sin()).collect();
        ys[4_321] = 50.0;
        let kept = lttb(&xs, &ys, 500);
        assert_eq!(kept.len(), 500);
        assert_eq!((kept[0], kept[499]), (0, n - 1));
        assert!(
            kept.windows(2).all(|w| w[0] < w[1]),
            "indices must increase"
        );
        assert!(kept.contains(&4_321), "the spike was dropped");
    }
}

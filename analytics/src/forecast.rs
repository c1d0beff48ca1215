//! Demand forecasts: hourly series with daily and weekly seasonality, decomposed by MSTL
//! (multiple seasonal-trend decomposition by LOESS) with the trend forecast by an automatically
//! chosen exponential-smoothing model (AutoETS), both from the `augurs` crates; prediction
//! intervals from the ETS model. Plus the seasonal-naive forecast it is judged against.

use augurs::ets::AutoETS;
use augurs::mstl::MSTLModel;
use augurs::prelude::*;

/// Hours per week, the longest season.
pub const WEEK: usize = 168;
/// Most history used for a fit (8 weeks): enough for the weekly season, cheap to fit.
pub const MAX_HISTORY: usize = 8 * WEEK;

/// A forecast with its prediction interval.
#[derive(Clone, Debug, PartialEq)]
pub struct HourlyForecast {
    pub point: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Probability the interval is meant to cover (0.95).
    pub level: f64,
}

/// Why no forecast could be made.
#[derive(Debug)]
pub enum ForecastError {
    /// Fewer than two days of hourly values.
    TooShort(usize),
    /// The model failed to fit (a degenerate series).
    Model(String),
}

impl std::error::Error for ForecastError {}

impl std::fmt::Display for ForecastError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooShort(n) => write!(f, "{n} hours of history; at least 48 are needed"),
            Self::Model(e) => write!(f, "the model could not be fitted: {e}"),
        }
    }
}

/// Fills gaps by linear interpolation (edges take the nearest value); `None` if all missing.
pub fn fill_gaps(v: &[f64]) -> Option<Vec<f64>> {
    let first = v.iter().position(|x| x.is_finite())?;
    let last = v.iter().rposition(|x| x.is_finite())?;
    let mut out = v.to_vec();
    for x in &mut out[..first] {
        *x = v[first];
    }
    for x in &mut out[last + 1..] {
        *x = v[last];
    }
    let mut prev = first;
    for i in first + 1..=last {
        if v[i].is_finite() {
            for (k, x) in out.iter_mut().enumerate().take(i).skip(prev + 1) {
                *x = v[prev] + (v[i] - v[prev]) * (k - prev) as f64 / (i - prev) as f64;
            }
            prev = i;
        }
    }
    Some(out)
}

/// MSTL + AutoETS forecast of `horizon` hours after `history` (hourly, NaN where missing).
pub fn forecast_mstl(
    history: &[f64],
    horizon: usize,
    level: f64,
) -> Result<HourlyForecast, ForecastError> {
    let recent = &history[history.len().saturating_sub(MAX_HISTORY)..];
    let y = fill_gaps(recent).ok_or(ForecastError::TooShort(0))?;
    if y.len() < 48 {
        return Err(ForecastError::TooShort(y.len()));
    }
    // The weekly season needs two weeks to be estimated; the daily one two days.
    let periods = if y.len() >= 2 * WEEK {
        vec![24, WEEK]
    } else {
        vec![24]
    };
    let model = MSTLModel::new(periods, AutoETS::non_seasonal().into_trend_model());
    let fitted = model
        .fit(&y)
        .map_err(|e| ForecastError::Model(e.to_string()))?;
    let fc = fitted
        .predict(horizon, level)
        .map_err(|e| ForecastError::Model(e.to_string()))?;
    let (lower, upper) = match fc.intervals {
        Some(i) => (i.lower, i.upper),
        None => (fc.point.clone(), fc.point.clone()),
    };
    Ok(HourlyForecast {
        point: fc.point,
        lower,
        upper,
        level,
    })
}

/// Weeks the week profile looks back over, and their weights (newest first).
const PROFILE_WEIGHTS: [f64; 4] = [0.4, 0.3, 0.2, 0.1];
/// Days the day-median forecast takes the median over.
pub const DAY_MEDIAN_DAYS: usize = 14;
/// Past weeks each member of the combination is scored on (rolling origin, 7 days ahead).
pub const BACKTEST_WEEKS: usize = 2;

/// Week-profile forecast: each hour ahead is the weighted mean of the same hour of the week over
/// the last (up to four) weeks, newest weighted most, moved to the level of the last week (the
/// profile gives the shape, the last week the level, so a new leak's extra flow is carried on).
/// Needs one whole week.
pub fn forecast_week_profile(y: &[f64], horizon: usize) -> Option<Vec<f64>> {
    let n = y.len();
    let weeks = (n / WEEK).min(PROFILE_WEIGHTS.len());
    if weeks == 0 {
        return None;
    }
    let weights = &PROFILE_WEIGHTS[..weeks];
    let total: f64 = weights.iter().sum();
    let at = |h: usize| -> f64 {
        weights
            .iter()
            .enumerate()
            .map(|(j, w)| w * y[n - (j + 1) * WEEK + h % WEEK])
            .sum::<f64>()
            / total
    };
    let profile: Vec<f64> = (0..WEEK).map(at).collect();
    let profile_mean = profile.iter().sum::<f64>() / WEEK as f64;
    let last_mean = y[n - WEEK..].iter().sum::<f64>() / WEEK as f64;
    Some(
        (0..horizon)
            .map(|h| profile[h % WEEK] - profile_mean + last_mean)
            .collect(),
    )
}

/// Day-median forecast: each hour ahead is the median of the same hour of the day over the
/// last [`DAY_MEDIAN_DAYS`] days (or as many as there are). It follows regimes that do not keep
/// to the weekday, such as pumps switched by tank level, and ignores single odd days. Needs one
/// day.
pub fn forecast_day_median(y: &[f64], horizon: usize) -> Option<Vec<f64>> {
    let n = y.len();
    let days = (n / 24).min(DAY_MEDIAN_DAYS);
    if days == 0 {
        return None;
    }
    let profile: Vec<f64> = (0..24)
        .map(|h| {
            let mut v: Vec<f64> = (1..=days).map(|j| y[n - j * 24 + h]).collect();
            crate::stats::median_in_place(&mut v).unwrap_or(f64::NAN)
        })
        .collect();
    Some((0..horizon).map(|h| profile[h % 24]).collect())
}

/// A member of the forecast combination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    /// MSTL decomposition (daily, weekly) + AutoETS trend, from `augurs`.
    Mstl,
    /// Weighted week profile at the last week's level.
    WeekProfile,
    /// Median of the same hour over the last two weeks.
    DayMedian,
    /// The same hour a week earlier.
    SeasonalNaive,
}

impl Member {
    pub const ALL: [Member; 4] = [
        Member::Mstl,
        Member::WeekProfile,
        Member::DayMedian,
        Member::SeasonalNaive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Mstl => "mstl_ets",
            Self::WeekProfile => "week_profile",
            Self::DayMedian => "day_median",
            Self::SeasonalNaive => "seasonal_naive",
        }
    }

    /// This member's forecast from the gap-filled history `y`; `None` where the history is too
    /// short for it or the model does not fit.
    fn forecast(self, y: &[f64], horizon: usize) -> Option<Vec<f64>> {
        match self {
            Self::Mstl => forecast_mstl(y, horizon, 0.95).ok().map(|f| f.point),
            Self::WeekProfile => forecast_week_profile(y, horizon),
            Self::DayMedian => forecast_day_median(y, horizon),
            Self::SeasonalNaive => (y.len() >= WEEK).then(|| seasonal_naive(y, horizon, WEEK)),
        }
    }
}

/// How a forecast was made: the members combined and the weight of each (summing to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    pub weights: Vec<(Member, f64)>,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let [(m, _)] = self.weights.as_slice() {
            return f.write_str(m.name());
        }
        f.write_str("combination(")?;
        for (i, (m, w)) in self.weights.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {:.0} %", m.name(), 100.0 * w)?;
        }
        f.write_str(")")
    }
}

/// The combined point forecast at each hour: the members' weighted median (the value where the
/// members' weights, taken in order of their forecasts, first reach half). The errors are
/// absolute, and the median is what minimises those; a weighted mean would forecast a pump
/// main, which either runs or rests at a given hour, halfway between the two, an error at
/// either outcome.
fn combine(members: &[(Member, Vec<f64>)], weights: &[(Member, f64)], horizon: usize) -> Vec<f64> {
    let mut at: Vec<(f64, f64)> = Vec::with_capacity(weights.len());
    (0..horizon)
        .map(|h| {
            at.clear();
            at.extend(weights.iter().map(|(m, w)| {
                let fc = &members.iter().find(|(k, _)| k == m).expect("member").1;
                (fc[h], *w)
            }));
            weighted_median(&mut at)
        })
        .collect()
}

/// The weighted median of `(value, weight)` pairs (weights summing to 1): the value at which
/// the weights of the values up to it reach half, or, where they reach exactly half there, the
/// midpoint of it and the next value (with equal weights, the ordinary median: two members
/// without a backtest yet are averaged, not the lower one taken).
fn weighted_median(v: &mut Vec<(f64, f64)>) -> f64 {
    v.retain(|(_, w)| *w > 0.0);
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for (i, (x, w)) in v.iter().enumerate() {
        acc += w;
        if (acc - 0.5).abs() <= 1e-9 {
            return v.get(i + 1).map_or(*x, |next| (x + next.0) / 2.0);
        }
        if acc > 0.5 {
            return *x;
        }
    }
    v.last().map_or(f64::NAN, |x| x.0)
}

fn members_at(y: &[f64], horizon: usize) -> Vec<(Member, Vec<f64>)> {
    Member::ALL
        .iter()
        .filter_map(|m| Some((*m, m.forecast(y, horizon)?)))
        .filter(|(_, fc)| fc.iter().all(|v| v.is_finite()))
        .collect()
}

/// Forecasts `horizon` hours after `history` (hourly means, NaN where missing) by combining
/// several simple, different models (a combination beats picking one: each fails on different
/// series), at each hour their weighted median. Each member is weighted by the inverse of its mean
/// absolute error over the last [`BACKTEST_WEEKS`] weeks, each forecast 7 days ahead from the
/// history before it (equal weights where the history is too short to look back). The interval
/// is conformal: the quantiles of the combination's own backtest errors at the same hours of the
/// day (±2 h), so it is as wide as this series has shown it needs to be; with no backtest yet,
/// the spread of day-over-day changes.
pub fn forecast_hourly(
    history: &[f64],
    horizon: usize,
    level: f64,
) -> Result<(Method, HourlyForecast), ForecastError> {
    let recent = &history[history.len().saturating_sub(MAX_HISTORY)..];
    let y = fill_gaps(recent).ok_or(ForecastError::TooShort(0))?;
    let n = y.len();
    if n < 48 {
        return Err(ForecastError::TooShort(n));
    }
    let members = members_at(&y, horizon);
    if members.is_empty() {
        return Err(ForecastError::Model("no model could be fitted".into()));
    }
    // Rolling-origin backtest: every member that forecasts now, from each earlier origin.
    let mut abs_err: Vec<f64> = vec![0.0; members.len()];
    let mut backtests = Vec::new();
    for k in 1..=BACKTEST_WEEKS {
        let Some(origin) = n.checked_sub(k * WEEK) else {
            break;
        };
        let past = members_at(&y[..origin], WEEK);
        if !members
            .iter()
            .all(|(m, _)| past.iter().any(|(p, _)| p == m))
        {
            break;
        }
        let actual = &recent[origin..origin + WEEK];
        for (i, (m, _)) in members.iter().enumerate() {
            let fc = &past.iter().find(|(p, _)| p == m).expect("member").1;
            abs_err[i] += mae(actual, fc).unwrap_or(0.0);
        }
        backtests.push((origin, past));
    }
    let raw: Vec<f64> = if backtests.is_empty() {
        vec![1.0; members.len()]
    } else {
        // A perfect member (zero error) would take all the weight; floor the error.
        let floor = abs_err
            .iter()
            .cloned()
            .fold(f64::INFINITY, f64::min)
            .max(1e-9)
            * 0.1;
        abs_err.iter().map(|e| 1.0 / e.max(floor)).collect()
    };
    let total: f64 = raw.iter().sum();
    let weights: Vec<(Member, f64)> = members
        .iter()
        .zip(&raw)
        .map(|((m, _), w)| (*m, w / total))
        .collect();
    let point = combine(&members, &weights, horizon);
    // Residuals by hour of the day: the backtests' (combined with today's weights) or, without
    // a backtest, the day-over-day changes of the history.
    let mut residuals: Vec<(usize, f64)> = Vec::new();
    for (origin, past) in &backtests {
        let fc = combine(past, &weights, WEEK);
        for (h, p) in fc.iter().enumerate() {
            let actual = recent[origin + h];
            if actual.is_finite() {
                residuals.push(((origin + h) % 24, actual - p));
            }
        }
    }
    if residuals.is_empty() {
        for t in 24..n {
            if recent[t].is_finite() && recent[t - 24].is_finite() {
                residuals.push((t % 24, recent[t] - recent[t - 24]));
            }
        }
    }
    let q = (1.0 - level) / 2.0;
    let bounds: Vec<(f64, f64)> = (0..24)
        .map(|hod| {
            let mut e: Vec<f64> = residuals
                .iter()
                .filter(|(k, _)| {
                    let d = (*k + 24 - hod) % 24;
                    d <= 2 || d >= 22
                })
                .map(|(_, r)| *r)
                .collect();
            if e.is_empty() {
                return (0.0, 0.0);
            }
            e.sort_by(f64::total_cmp);
            // Split-conformal quantiles with the finite-sample correction: the k-th smallest
            // error with k = ⌈(n + 1)·(1 − q)⌉ (and its mirror), not the plain empirical
            // quantile, which covers less than `level` on new data.
            let n = e.len();
            let k = (((n + 1) as f64 * (1.0 - q)).ceil() as usize).clamp(1, n);
            (e[n - k].min(0.0), e[k - 1].max(0.0))
        })
        .collect();
    // A series that has never gone below zero (a demand, a level, a concentration) is not
    // forecast below it, nor is its interval.
    let floor = if recent.iter().filter(|v| v.is_finite()).all(|v| *v >= 0.0) {
        0.0
    } else {
        f64::NEG_INFINITY
    };
    let lower = (0..horizon)
        .map(|h| (point[h] + bounds[(n + h) % 24].0).max(floor))
        .collect();
    let upper = (0..horizon)
        .map(|h| (point[h] + bounds[(n + h) % 24].1).max(floor))
        .collect();
    let point = point.into_iter().map(|v| v.max(floor)).collect();
    Ok((
        Method { weights },
        HourlyForecast {
            point,
            lower,
            upper,
            level,
        },
    ))
}

/// The same hour one season earlier, repeated (the benchmark every forecast must beat).
pub fn seasonal_naive(history: &[f64], horizon: usize, season: usize) -> Vec<f64> {
    (0..horizon)
        .map(|h| history[history.len() - season + h % season])
        .collect()
}

/// Mean absolute error over pairs where both are finite.
pub fn mae(actual: &[f64], predicted: &[f64]) -> Option<f64> {
    let errs: Vec<f64> = actual
        .iter()
        .zip(predicted)
        .filter(|(a, p)| a.is_finite() && p.is_finite())
        .map(|(a, p)| (a - p).abs())
        .collect();
    (!errs.is_empty()).then(|| errs.iter().sum::<f64>() / errs.len() as f64)
}

/// Share of actual values inside `[lower, upper]`.
pub fn coverage(actual: &[f64], lower: &[f64], upper: &[f64]) -> Option<f64> {
    let inside: Vec<bool> = actual
        .iter()
        .zip(lower.iter().zip(upper))
        .filter(|(a, _)| a.is_finite())
        .map(|(a, (l, u))| *a >= *l && *a <= *u)
        .collect();
    (!inside.is_empty()).then(|| inside.iter().filter(|x| **x).count() as f64 / inside.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Daily and weekly shape with a slow trend and deterministic wiggle.
    fn demand(hours: usize) -> Vec<f64> {
        (0..hours)
            .map(|t| {
                let h = (t % 24) as f64;
                let weekend = (t / 24) % 7 >= 5;
                100.0 + 0.01 * t as f64 + 30.0 * ((h - 7.0) / 24.0 * std::f64::consts::TAU).sin()
                    - if weekend { 15.0 } else { 0.0 }
                    + 2.0 * ((t as f64) * 1.7).sin()
            })
            .collect()
    }

    /// Night hours at zero (a pump that rests), noisy days: the spread reaches below zero.
    fn resting_pump(hours: usize, shift: f64) -> Vec<f64> {
        let mut state = 7u64;
        (0..hours)
            .map(|t| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = ((state >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 16.0;
                let h = t % 24;
                shift + if h < 6 { 0.0 } else { (10.0 + noise).max(0.0) }
            })
            .collect()
    }

    #[test]
    fn a_series_never_below_zero_is_not_forecast_below_zero() {
        let (_, fc) = forecast_hourly(&resting_pump(4 * WEEK, 0.0), 48, 0.95).unwrap();
        assert!(fc.lower.iter().all(|v| *v >= 0.0), "{:?}", fc.lower);
        assert!(fc.point.iter().all(|v| *v >= 0.0), "{:?}", fc.point);
        assert!(fc.lower.iter().zip(&fc.upper).all(|(l, u)| l <= u));
        // The same series moved down (so it has negative values): its interval does reach
        // below the moved zero, which is what the floor above cut.
        let (_, moved) = forecast_hourly(&resting_pump(4 * WEEK, -50.0), 48, 0.95).unwrap();
        assert!(
            moved.lower.iter().any(|v| *v < -50.0),
            "the example never needed the floor: {:?}",
            moved.lower
        );
    }

    #[test]
    fn beats_seasonal_naive_on_a_seasonal_series_and_covers_it() {
        let all = demand(6 * WEEK);
        let (train, test) = all.split_at(5 * WEEK);
        let (_, fc) = forecast_hourly(train, WEEK, 0.95).unwrap();
        assert_eq!(fc.point.len(), WEEK);
        let model = mae(test, &fc.point).unwrap();
        let naive = mae(test, &seasonal_naive(train, WEEK, WEEK)).unwrap();
        assert!(model < naive, "model {model:.3} vs naive {naive:.3}");
        assert!(coverage(test, &fc.lower, &fc.upper).unwrap() > 0.8);
        assert!(fc.lower.iter().zip(&fc.upper).all(|(l, u)| l <= u));
    }

    #[test]
    fn the_week_profile_takes_the_shape_and_the_last_weeks_level() {
        // Four weeks of a pure weekly pattern, the last week 10 higher.
        let mut y: Vec<f64> = (0..4 * WEEK).map(|t| (t % WEEK) as f64).collect();
        let n = y.len();
        for v in &mut y[n - WEEK..] {
            *v += 10.0;
        }
        let fc = forecast_week_profile(&y, 48).unwrap();
        // Hour n is hour-of-week 0: the shape says 0, the level is the last week's (+10).
        assert!((fc[0] - 10.0).abs() < 1e-9, "{}", fc[0]);
        assert!((fc[47] - 57.0).abs() < 1e-9, "{}", fc[47]);
        assert!(forecast_week_profile(&y[..WEEK - 1], 24).is_none());
    }

    #[test]
    fn the_day_median_ignores_an_odd_day() {
        // Three days of the hour of the day, the middle one 100 higher.
        let y: Vec<f64> = (0..72)
            .map(|t| (t % 24) as f64 + if t / 24 == 1 { 100.0 } else { 0.0 })
            .collect();
        let fc = forecast_day_median(&y, 30).unwrap();
        assert_eq!(fc[0], 0.0);
        assert_eq!(fc[5], 5.0);
        assert_eq!(fc[29], 5.0);
        assert!(forecast_day_median(&y[..23], 24).is_none());
    }

    #[test]
    fn members_that_forecast_the_past_better_weigh_more() {
        // Weekdays and weekends differ a lot, so the day median (blind to the weekday) forecast
        // past weeks worst; the pattern repeats each week, so the naive forecast did well.
        let y: Vec<f64> = (0..6 * WEEK)
            .map(|t| {
                let weekend = (t / 24) % 7 >= 5;
                50.0 + 20.0 * ((t % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()
                    + if weekend { 40.0 } else { 0.0 }
                    + 1.5 * ((t as f64) * 1.3).sin()
            })
            .collect();
        let (method, fc) = forecast_hourly(&y, 48, 0.95).unwrap();
        let w = |m: Member| method.weights.iter().find(|(k, _)| *k == m).unwrap().1;
        assert_eq!(method.weights.len(), 4);
        assert!((method.weights.iter().map(|(_, w)| w).sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(w(Member::DayMedian) < w(Member::SeasonalNaive), "{method}");
        assert!(w(Member::DayMedian) < w(Member::WeekProfile), "{method}");
        assert!(
            method.to_string().starts_with("combination(mstl_ets "),
            "{method}"
        );
        assert!(fc.lower.iter().zip(&fc.point).all(|(l, p)| l <= p));
        assert!(fc.upper.iter().zip(&fc.point).all(|(u, p)| u >= p));
    }

    #[test]
    fn two_days_are_enough_with_equal_weights_and_day_to_day_spread() {
        let y: Vec<f64> = (0..72).map(|t| (t % 24) as f64 + (t / 24) as f64).collect();
        let (method, fc) = forecast_hourly(&y, 24, 0.95).unwrap();
        // No whole week: only the members that need less, equally weighted.
        let members: Vec<Member> = method.weights.iter().map(|(m, _)| *m).collect();
        assert_eq!(members, vec![Member::Mstl, Member::DayMedian]);
        assert!(method.weights.iter().all(|(_, w)| (*w - 0.5).abs() < 1e-9));
        // Every day ran exactly 1 above the one before: the interval reaches 1 above the point.
        assert!(fc
            .upper
            .iter()
            .zip(&fc.point)
            .all(|(u, p)| (u - p - 1.0).abs() < 1e-9));
    }

    #[test]
    fn gaps_are_bridged_and_short_series_refused() {
        assert_eq!(
            fill_gaps(&[f64::NAN, 1.0, f64::NAN, 3.0, f64::NAN]).unwrap(),
            vec![1.0, 1.0, 2.0, 3.0, 3.0]
        );
        assert!(fill_gaps(&[f64::NAN]).is_none());
        assert!(matches!(
            forecast_mstl(&[1.0; 30], 24, 0.95),
            Err(ForecastError::TooShort(30))
        ));
        assert!(matches!(
            forecast_hourly(&[1.0; 30], 24, 0.95),
            Err(ForecastError::TooShort(30))
        ));
    }

    #[test]
    fn members_combine_by_their_weighted_median() {
        let members = vec![
            (Member::Mstl, vec![1.0, 5.0]),
            (Member::WeekProfile, vec![2.0, 6.0]),
            (Member::DayMedian, vec![10.0, 0.0]),
        ];
        let weights = |a: f64, b: f64, c: f64| {
            vec![
                (Member::Mstl, a),
                (Member::WeekProfile, b),
                (Member::DayMedian, c),
            ]
        };
        // Hour 0: 1 (0.3), 2 (0.3 → 0.6 ≥ ½) → 2, where the weighted mean would be 4.9.
        assert_eq!(
            combine(&members, &weights(0.3, 0.3, 0.4), 2),
            vec![2.0, 5.0]
        );
        // A member with most of the weight decides alone: hour 1 sorted 0 (0.6) → 0.
        assert_eq!(
            combine(&members, &weights(0.2, 0.2, 0.6), 2),
            vec![10.0, 0.0]
        );
        // Exactly half reached at a value: the midpoint of it and the next weighted one (a
        // member without weight counts for nothing); equal weights give the ordinary median.
        assert_eq!(combine(&members, &weights(0.5, 0.0, 0.5), 1), vec![5.5]);
        assert_eq!(
            combine(&members, &weights(0.5, 0.5, 0.0), 2),
            vec![1.5, 5.5]
        );
    }

    #[test]
    fn naive_repeats_last_season_and_metrics_by_hand() {
        let h = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(seasonal_naive(&h, 3, 2), vec![3.0, 4.0, 3.0]);
        assert_eq!(mae(&[1.0, 2.0, f64::NAN], &[2.0, 4.0, 0.0]), Some(1.5));
        assert_eq!(coverage(&[1.0, 5.0], &[0.0, 0.0], &[2.0, 2.0]), Some(0.5));
    }
}

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

/// The combined point forecast at each hour: the members' weighted median
/// ([`weighted_median`]). The errors are
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
mod tests;

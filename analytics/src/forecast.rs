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

/// Weeks a week-profile forecast takes the median over.
pub const PROFILE_WEEKS: usize = 3;

/// Week-profile forecast: for each hour ahead, the median of the same hour of the week over the
/// last [`PROFILE_WEEKS`] weeks, shifted by how far the last day ran above or below its own
/// profile (half of it: a level change is believed only partly). The interval comes from the
/// method's own errors on the last two weeks of history, per hour of the day.
pub fn forecast_profile(
    history: &[f64],
    horizon: usize,
    level: f64,
) -> Result<HourlyForecast, ForecastError> {
    let y = fill_gaps(history).ok_or(ForecastError::TooShort(0))?;
    let need = PROFILE_WEEKS * WEEK;
    if y.len() < need + 24 {
        return Err(ForecastError::TooShort(y.len()));
    }
    // The profile value for hour index `t` (past or future), from the weeks before `t`.
    let profile_at = |series: &[f64], t: usize| -> f64 {
        let mut v: Vec<f64> = (1..=PROFILE_WEEKS)
            .filter_map(|k| t.checked_sub(k * WEEK))
            .map(|j| series[j])
            .collect();
        crate::stats::median_in_place(&mut v).unwrap_or(f64::NAN)
    };
    let n = y.len();
    let shift_at = |end: usize| -> f64 {
        let diffs: Vec<f64> = (end - 24..end).map(|t| y[t] - profile_at(&y, t)).collect();
        0.5 * diffs.iter().sum::<f64>() / 24.0
    };
    let shift = shift_at(n);
    let mut extended = y.clone();
    for h in 0..horizon {
        let p = profile_at(&extended, n + h);
        extended.push(p);
    }
    let point: Vec<f64> = extended[n..].iter().map(|p| p + shift).collect();
    // Backtest errors on the last two weeks (each hour predicted from the weeks before it).
    let mut errors: Vec<Vec<f64>> = vec![Vec::new(); 24];
    for t in n.saturating_sub(2 * WEEK).max(need + 24)..n {
        errors[t % 24].push(y[t] - profile_at(&y, t) - shift_at(t - t % 24));
    }
    let q = (1.0 - level) / 2.0;
    let quantile = |v: &mut Vec<f64>, p: f64| -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * p).round() as usize]
    };
    let bounds: Vec<(f64, f64)> = errors
        .iter_mut()
        .map(|e| (quantile(e, q), quantile(e, 1.0 - q)))
        .collect();
    let lower = point
        .iter()
        .enumerate()
        .map(|(h, p)| p + bounds[(n + h) % 24].0)
        .collect();
    let upper = point
        .iter()
        .enumerate()
        .map(|(h, p)| p + bounds[(n + h) % 24].1)
        .collect();
    Ok(HourlyForecast {
        point,
        lower,
        upper,
        level,
    })
}

/// Which model a forecast came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// MSTL decomposition (daily, weekly) + AutoETS trend.
    Mstl,
    /// Median week profile with a level shift.
    Profile,
}

/// Forecasts `horizon` hours after `history` with the model that forecast this series' own last
/// week best (each model fitted on the history before that week), refitted on all of it.
pub fn forecast_hourly(
    history: &[f64],
    horizon: usize,
    level: f64,
) -> Result<(Method, HourlyForecast), ForecastError> {
    let n = history.len();
    let pick = if n >= (PROFILE_WEEKS + 1) * WEEK + 24 {
        let (train, test) = history.split_at(n - WEEK);
        let score = |fc: Result<HourlyForecast, ForecastError>| {
            fc.ok()
                .and_then(|f| mae(test, &f.point))
                .unwrap_or(f64::INFINITY)
        };
        let (m, p) = (
            score(forecast_mstl(train, WEEK, level)),
            score(forecast_profile(train, WEEK, level)),
        );
        if p <= m {
            Method::Profile
        } else {
            Method::Mstl
        }
    } else {
        Method::Mstl
    };
    let fc = match pick {
        Method::Profile => forecast_profile(history, horizon, level)?,
        Method::Mstl => forecast_mstl(history, horizon, level)?,
    };
    Ok((pick, fc))
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
    fn the_profile_follows_the_week_and_a_level_shift() {
        // Four weeks of a pure weekly pattern, then the last day 10 higher.
        let mut y: Vec<f64> = (0..4 * WEEK).map(|t| (t % WEEK) as f64).collect();
        let n = y.len();
        for v in &mut y[n - 24..] {
            *v += 10.0;
        }
        let fc = forecast_profile(&y, 48, 0.95).unwrap();
        // Hour n is hour-of-week 0: profile 0, shifted by half the last day's excess (5).
        assert_eq!(fc.point[0], 5.0);
        assert_eq!(fc.point[47], 52.0);
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
            forecast_profile(&[1.0; 30], 24, 0.95),
            Err(ForecastError::TooShort(30))
        ));
    }

    #[test]
    fn naive_repeats_last_season_and_metrics_by_hand() {
        let h = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(seasonal_naive(&h, 3, 2), vec![3.0, 4.0, 3.0]);
        assert_eq!(mae(&[1.0, 2.0, f64::NAN], &[2.0, 4.0, 0.0]), Some(1.5));
        assert_eq!(coverage(&[1.0, 5.0], &[0.0, 0.0], &[2.0, 2.0]), Some(0.5));
    }
}

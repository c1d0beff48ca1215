//! Demand forecasts for a node's metric, hour by hour with a prediction interval.

use crate::Metric;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest horizon served, in hours (7 days).
pub const MAX_HORIZON_HOURS: u32 = 168;

/// One forecast hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ForecastPoint {
    /// Start of the hour.
    pub at: DateTime<Utc>,
    /// Expected hourly mean, in the metric's unit.
    pub value: f64,
    /// Prediction interval at `level`.
    pub lower: f64,
    pub upper: f64,
}

/// A node's forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Forecast {
    pub node_id: i64,
    pub metric: Metric,
    /// How it was made: `combination(mstl_ets 27 %, week_profile 26 %, day_median 24 %,
    /// seasonal_naive 23 %)` — MSTL decomposition + AutoETS trend, the week profile at the last
    /// week's level, the median of the same hour over two weeks and the same hour last week,
    /// each weighted by how well it forecast this series' own last two weeks.
    pub method: String,
    /// Probability the interval is meant to cover.
    pub level: f64,
    /// When the model was fitted, and on how many hours of history.
    pub generated_at: DateTime<Utc>,
    pub history_hours: u32,
    pub points: Vec<ForecastPoint>,
}

/// A district's demand forecast: the summed flow of its inlet meters (L/s), hour by hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DistrictForecast {
    pub district_id: i64,
    pub district: String,
    /// The inlet meters (flow nodes of the district) whose flows are summed: those that
    /// reported flow in the history window.
    pub inlet_node_ids: Vec<i64>,
    /// How it was made (see [`Forecast::method`]).
    pub method: String,
    /// Probability the interval is meant to cover.
    pub level: f64,
    pub generated_at: DateTime<Utc>,
    pub history_hours: u32,
    pub points: Vec<ForecastPoint>,
}

/// One hour of a district's measured demand: its inlet meters' hourly mean flows added up (L/s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandHour {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// A district's measured demand over the last hours, drawn under its forecast. Hours in which
/// one of the inlet meters has no data are left out (a partial sum would look like a drop).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistrictHistory {
    pub district_id: i64,
    pub district: String,
    /// The tenant's time zone (IANA name), for the chart's time axis.
    pub time_zone: String,
    pub points: Vec<DemandHour>,
}

/// What the network overview says about a district's demand ahead, from its stored forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandOutlook {
    /// Expected volume over the next 24 hours (m³): the hourly means × 3.6.
    pub next_day_m3: f64,
    /// The same from the hourly interval bounds (m³): the range if every hour fell at the
    /// edge of its interval.
    pub next_day_low_m3: f64,
    pub next_day_high_m3: f64,
    /// The hour of highest expected flow in the next 24 hours, and that flow (L/s).
    pub peak_at: DateTime<Utc>,
    pub peak_lps: f64,
    pub method: String,
    pub generated_at: DateTime<Utc>,
}

impl DemandOutlook {
    /// The outlook of the first 24 hours of `points` (none when they are empty).
    pub fn of(points: &[ForecastPoint], method: &str, generated_at: DateTime<Utc>) -> Option<Self> {
        let day = &points[..points.len().min(24)];
        let peak = day.iter().max_by(|a, b| a.value.total_cmp(&b.value))?;
        let m3 = |f: fn(&ForecastPoint) -> f64| day.iter().map(f).sum::<f64>() * 3.6;
        Some(Self {
            next_day_m3: m3(|p| p.value),
            next_day_low_m3: m3(|p| p.lower.max(0.0)),
            next_day_high_m3: m3(|p| p.upper),
            peak_at: peak.at,
            peak_lps: peak.value,
            method: method.to_owned(),
            generated_at,
        })
    }
}

/// A district's demand chart for the network overview: the ECharts option (measured demand,
/// then the forecast band), the outlook, or why there is no forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistrictDemandChart {
    pub district: String,
    pub option: String,
    pub outlook: Option<DemandOutlook>,
    /// Why there is no forecast yet (too little history), when there is none.
    pub note: Option<String>,
}

/// A forecast method as people read it: the stored name (`combination(mstl_ets 50 %,
/// day_median 50 %)`, `bigquery_arima_plus`) with its members named in words
/// (`MSTL+ETS 50 %, day median 50 %`, `BigQuery ARIMA_PLUS`).
pub fn method_label(method: &str) -> String {
    let inner = method
        .strip_prefix("combination(")
        .and_then(|m| m.strip_suffix(')'))
        .unwrap_or(method);
    [
        ("mstl_ets", "MSTL+ETS"),
        ("week_profile", "week profile"),
        ("day_median", "day median"),
        ("seasonal_naive", "seasonal naive"),
        ("bigquery_arima_plus", "BigQuery ARIMA_PLUS"),
    ]
    .iter()
    .fold(inner.to_owned(), |text, (name, words)| {
        text.replace(name, words)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_read_in_words() {
        assert_eq!(
            method_label("combination(mstl_ets 50 %, day_median 30 %, seasonal_naive 20 %)"),
            "MSTL+ETS 50 %, day median 30 %, seasonal naive 20 %"
        );
        assert_eq!(method_label("week_profile"), "week profile");
        assert_eq!(method_label("bigquery_arima_plus"), "BigQuery ARIMA_PLUS");
        assert_eq!(method_label("something new"), "something new");
    }

    #[test]
    fn the_outlook_adds_up_the_first_day_and_finds_its_peak() {
        let start: DateTime<Utc> = "2026-07-01T00:00:00Z".parse().unwrap();
        // 30 hours: 10 L/s, except 25 L/s at 07:00 and 99 L/s after the first day.
        let points: Vec<ForecastPoint> = (0..30)
            .map(|h| {
                let value = match h {
                    7 => 25.0,
                    h if h >= 24 => 99.0,
                    _ => 10.0,
                };
                ForecastPoint {
                    at: start + chrono::Duration::hours(h),
                    value,
                    lower: value - 12.0,
                    upper: value + 2.0,
                }
            })
            .collect();
        let o = DemandOutlook::of(&points, "m", start).unwrap();
        // 23 × 10 + 25 = 255 L/s·h = 918 m³.
        assert!((o.next_day_m3 - 918.0).abs() < 1e-9, "{}", o.next_day_m3);
        // Lower bounds below zero count as zero: 23 × 0 + 13 = 13 → 46.8 m³.
        assert!(
            (o.next_day_low_m3 - 46.8).abs() < 1e-9,
            "{}",
            o.next_day_low_m3
        );
        assert!((o.next_day_high_m3 - (255.0 + 48.0) * 3.6).abs() < 1e-9);
        assert_eq!(o.peak_at, start + chrono::Duration::hours(7));
        assert_eq!(o.peak_lps, 25.0);
        assert!(DemandOutlook::of(&[], "m", start).is_none());
    }
}

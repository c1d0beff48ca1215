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

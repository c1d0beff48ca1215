//! The data quality report: per node and metric over one day, how much of the expected data
//! arrived and what is wrong with it.

use crate::Metric;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A stretch without data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Gap {
    /// Last reading before the gap (or the start of the day).
    pub start: DateTime<Utc>,
    /// Minutes until the next reading (or the end of the day).
    pub minutes: i64,
}

/// One node's metric over the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeriesQuality {
    /// Node id.
    pub node_id: i64,
    /// Node external id.
    pub external_id: String,
    /// Node name.
    pub node_name: String,
    /// What is measured.
    pub metric: Metric,
    /// Reporting interval in seconds (configured, or inferred from the data).
    pub interval_secs: i64,
    /// Readings the interval implies for the day.
    pub expected: i64,
    /// Readings stored for the day.
    pub received: i64,
    /// `received / expected`, at most 1.
    pub completeness: f64,
    /// The longest gaps (at most five), longest first.
    pub gaps: Vec<Gap>,
    /// How many gaps in all.
    pub gap_count: i64,
    /// Longest run of identical consecutive values, in readings.
    pub longest_flatline: i64,
    /// Whether the run above is long enough to call the sensor stuck.
    pub flatline: bool,
    /// No data for the configured number of intervals before the end of the period.
    pub stale: bool,
    /// When the sensor last reported, ever.
    pub last_seen: Option<DateTime<Utc>>,
    /// Stored values outside the metric's physical range.
    pub out_of_range: i64,
    /// Stored readings flagged bad by their source (quality ≠ 0).
    pub flagged: i64,
    /// Readings with timestamps in the future.
    pub future: i64,
    /// 0–100: completeness, less the stuck share; 0 when stale.
    pub score: f64,
}

/// A tenant's report for one day (UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DataQualityReport {
    /// The day covered.
    pub day: NaiveDate,
    /// When the report was computed.
    pub generated_at: DateTime<Utc>,
    /// 0–100: mean of the series scores.
    pub score: f64,
    /// Node-metric series examined.
    pub series: i64,
    /// Series with every expected reading.
    pub complete_series: i64,
    /// Series whose sensor went quiet.
    pub stale_series: i64,
    /// Series stuck on one value.
    pub flatline_series: i64,
    /// Gaps across all series.
    pub gaps: i64,
    /// Readings received / expected over all series.
    pub completeness: f64,
    /// Readings with timestamps in the future.
    pub future_readings: i64,
    /// The lowest-scoring series (at most 20), worst first.
    pub worst: Vec<SeriesQuality>,
}

//! Time series for charts: a node's metric over a range, at a resolution chosen from the
//! range and downsampled to a point budget.

use crate::Metric;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Points returned when the caller does not say.
pub const DEFAULT_MAX_POINTS: u32 = 1_000;
/// Most points a caller may ask for.
pub const MAX_POINTS_LIMIT: u32 = 20_000;

/// Which stored data a series was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Individual readings.
    Raw,
    /// Hourly rollups (value = hourly mean, with min and max).
    Hourly,
    /// Daily rollups (value = daily mean, with min and max).
    Daily,
}

impl Resolution {
    /// The resolution a chart of `span` needs: raw up to 3 days, hourly up to 90, else daily.
    pub fn for_span(span: chrono::Duration) -> Self {
        if span <= chrono::Duration::days(3) {
            Self::Raw
        } else if span <= chrono::Duration::days(90) {
            Self::Hourly
        } else {
            Self::Daily
        }
    }
}

/// What a chart asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesQuery {
    /// Node id.
    pub node_id: i64,
    /// Metric.
    pub metric: Metric,
    /// Start, inclusive.
    pub from: DateTime<Utc>,
    /// End, exclusive.
    pub to: DateTime<Utc>,
    /// Point budget (default [`DEFAULT_MAX_POINTS`], at most [`MAX_POINTS_LIMIT`]).
    pub max_points: Option<u32>,
}

/// One point of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeriesPoint {
    /// Timestamp (bucket start for rollups).
    pub ts: DateTime<Utc>,
    /// The reading, or the bucket mean.
    pub value: f64,
    /// Bucket minimum (rollups only).
    pub min: Option<f64>,
    /// Bucket maximum (rollups only).
    pub max: Option<f64>,
}

/// Statistics over the whole requested range (not just the returned points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeriesStats {
    /// Readings in the range.
    pub count: i64,
    /// Smallest reading.
    pub min: Option<f64>,
    /// Largest reading.
    pub max: Option<f64>,
    /// Mean of the readings.
    pub mean: Option<f64>,
}

/// A chart-ready series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Series {
    /// Node id.
    pub node_id: i64,
    /// Metric.
    pub metric: Metric,
    /// Unit of every value.
    pub unit: String,
    /// Which data the points come from.
    pub resolution: Resolution,
    /// Start of the range.
    pub from: DateTime<Utc>,
    /// End of the range.
    pub to: DateTime<Utc>,
    /// Points stored in the range before downsampling.
    pub source_points: u64,
    /// The points, oldest first, at most `max_points`.
    pub points: Vec<SeriesPoint>,
    /// Statistics over the range.
    pub stats: SeriesStats,
    /// The tenant's time zone (IANA name), in which charts label their time axes.
    #[serde(default = "utc")]
    pub time_zone: String,
}

fn utc() -> String {
    "UTC".into()
}

/// An incident drawn over a node's chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentMark {
    /// Incident id.
    pub id: i64,
    /// What it is, in words ("Leak", "Flatline", …).
    pub label: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended; `None` while it goes on.
    pub ended_at: Option<DateTime<Utc>>,
}

/// One node's metric as its page draws it: the history, the forecast after it, the incidents
/// that touched the node, and the ECharts option drawing all three (built on the server, so
/// the browser's bundle carries no chart code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeChart {
    /// The history.
    pub series: Series,
    /// The forecast, or why there is none (too little history, say).
    pub forecast: Result<crate::forecast::Forecast, crate::AppError>,
    /// Incidents affecting the node that overlap the range, newest first.
    pub incidents: Vec<IncidentMark>,
    /// The ECharts option, JSON.
    pub option: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn resolution_follows_the_span() {
        assert_eq!(Resolution::for_span(Duration::hours(24)), Resolution::Raw);
        assert_eq!(Resolution::for_span(Duration::days(30)), Resolution::Hourly);
        assert_eq!(Resolution::for_span(Duration::days(365)), Resolution::Daily);
    }
}

//! Events streamed to browsers (Server-Sent Events at `/api/v1/events`) as they happen.

use crate::Metric;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A node's newest value of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LatestPoint {
    /// Node id.
    pub node_id: i64,
    /// What was measured.
    pub metric: Metric,
    /// When.
    pub ts: DateTime<Utc>,
    /// Value in the metric's unit.
    pub value: f64,
}

/// Something that happened in the caller's tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// Readings were stored: how many, and the newest value of each series they touched
    /// (at most [`MAX_LIVE_POINTS`]).
    Readings {
        /// Readings stored by this write.
        count: u64,
        /// Newest value per node and metric.
        latest: Vec<LatestPoint>,
    },
    /// The anomaly detector opened an incident.
    Incident {
        /// What kind of event.
        kind: crate::anomaly::AnomalyKind,
        /// How urgent.
        severity: crate::anomaly::Severity,
        /// Most affected sensor (external id).
        node: Option<String>,
        /// District of the most affected sensor.
        district: Option<String>,
        /// When it was detected.
        detected_at: DateTime<Utc>,
        /// The detector's explanation.
        explanation: String,
    },
    /// A background job finished a run for the tenant.
    JobRun {
        /// Job name.
        job: String,
        /// Run id.
        run_id: i64,
        /// `succeeded` or `failed`.
        status: String,
    },
}

/// Series listed in one `readings` event.
pub const MAX_LIVE_POINTS: usize = 500;

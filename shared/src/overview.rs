//! The network overview (`/enhanced-overview`, `GET /api/v1/network/overview`): every node on a
//! schematic map with its status, the districts side by side, their pressure, water loss and
//! night flow through the period, and the health of the system feeding all of it.

use crate::NodeKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a node's marker says, worst first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Named by an unresolved network incident (leak, pressure drop or rise, night flow).
    Incident,
    /// Named by an unresolved sensor fault (stuck, spike, out of range, missing data).
    Fault,
    /// Silent for longer than the stale limit (or never reported).
    Stale,
    /// Reporting, and no unresolved incident names it.
    Normal,
}

impl NodeStatus {
    /// Every status, worst first.
    pub const ALL: [NodeStatus; 4] = [Self::Incident, Self::Fault, Self::Stale, Self::Normal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Fault => "fault",
            Self::Stale => "stale",
            Self::Normal => "normal",
        }
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Incident => "Network incident",
            Self::Fault => "Sensor fault",
            Self::Stale => "Silent",
            Self::Normal => "Normal",
        }
    }
}

/// A node on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MapNode {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub kind: NodeKind,
    pub district: Option<String>,
    /// WGS 84 degrees; none where the source gave no position.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub status: NodeStatus,
    /// When it last reported anything.
    pub last_seen: Option<DateTime<Utc>>,
    /// Latest pressure (bar), flow (L/s) and level (m), where it measures them.
    pub pressure: Option<f64>,
    pub flow_rate: Option<f64>,
    #[serde(default)]
    pub level: Option<f64>,
}

/// One district (DMA) as it is now, and its last whole day's water balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DistrictStatus {
    pub id: i64,
    pub name: String,
    /// Active nodes, and those that reported within the stale limit.
    pub nodes: i64,
    pub online: i64,
    /// Latest inflow: the district's flow meters' latest readings added up (L/s).
    pub inflow_lps: Option<f64>,
    /// Mean of the district's latest pressure readings (bar).
    pub pressure_bar: Option<f64>,
    /// Unresolved incidents whose most affected sensor is in the district.
    pub open_incidents: i64,
    /// The newest day the efficiency job computed for the district.
    pub day: Option<DateTime<Utc>>,
    pub nrw_pct: Option<f64>,
    pub mnf_lps: Option<f64>,
    pub ili: Option<f64>,
}

/// A district's (or, with no district, the network's) daily figures from the efficiency job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DistrictDay {
    pub district: Option<String>,
    /// Start of the local day, UTC.
    pub day: DateTime<Utc>,
    pub avg_pressure_bar: Option<f64>,
    pub nrw_pct: Option<f64>,
    pub mnf_lps: Option<f64>,
    pub ili: Option<f64>,
}

/// How healthy the system feeding the figures is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SystemHealth {
    /// Share of expected readings received, from the newest data quality report (0–1), and
    /// that report's day.
    pub completeness: Option<f64>,
    pub quality_day: Option<chrono::NaiveDate>,
    /// Active sensors that reported within the stale limit, of all active sensors.
    pub sensors_online: i64,
    pub sensors_total: i64,
    /// Unresolved incidents, and the critical ones among them.
    pub open_incidents: i64,
    pub open_critical: i64,
    /// The tenant's jobs whose newest finished run succeeded (or was skipped as another
    /// replica's), of the jobs that have run for the tenant.
    pub jobs_healthy: i64,
    pub jobs_total: i64,
    /// Names of the jobs whose newest finished run failed or crashed.
    pub failing_jobs: Vec<String>,
}

/// The overview of one tenant's network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NetworkOverview {
    pub generated_at: DateTime<Utc>,
    /// The period the daily figures cover (at least the last 7 days).
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// IANA zone the days are counted in.
    pub time_zone: String,
    /// A node is stale after this many seconds without data (its reporting interval × the
    /// configured number of intervals; the longest such limit over the nodes).
    pub stale_after_secs: i64,
    /// Every active node, by external id.
    pub nodes: Vec<MapNode>,
    /// Every district with active nodes, by name; nodes without a district are left out.
    pub districts: Vec<DistrictStatus>,
    /// Daily figures of the period, per district and for the whole network, oldest first.
    pub days: Vec<DistrictDay>,
    pub health: SystemHealth,
}

impl NetworkOverview {
    /// How many nodes have `status`.
    pub fn count(&self, status: NodeStatus) -> usize {
        self.nodes.iter().filter(|n| n.status == status).count()
    }
}

/// What the overview page receives: the figures, the map (SVG, drawn on the server) and the
/// charts' ECharts options (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewView {
    pub overview: NetworkOverview,
    pub map_svg: String,
    pub pressure_option: String,
    pub nrw_option: String,
    pub mnf_option: String,
}

//! Incidents found by the anomaly detector: leaks and other hydraulic events, and sensor faults,
//! with their lifecycle (open → acknowledged → resolved).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of event an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// Pressure dropping near a place while the inflow rises, or night flow rising: water is
    /// leaving the network.
    Leak,
    /// A logger's pressure stays below what the rest of the network explains, without an inflow
    /// rise (a valve, a local draw, or a leak too small for the meters).
    PressureDrop,
    /// A logger's pressure stays well above normal (a valve or pump change).
    PressureRise,
    /// The network's minimum night flow rose above recent nights.
    NightFlowRise,
    /// A sensor sent no reading.
    SensorMissing,
    /// A sensor keeps reporting exactly the same value.
    SensorStuck,
    /// A single reading far from its neighbours.
    SensorSpike,
    /// A reading outside the metric's physical range.
    SensorOutOfRange,
    /// A logger whose offset from the other loggers of its district grows day after day
    /// (calibration drift, fouling).
    SensorDrift,
}

impl AnomalyKind {
    /// Every kind, in display order.
    pub const ALL: [AnomalyKind; 9] = [
        Self::Leak,
        Self::PressureDrop,
        Self::PressureRise,
        Self::NightFlowRise,
        Self::SensorMissing,
        Self::SensorStuck,
        Self::SensorSpike,
        Self::SensorOutOfRange,
        Self::SensorDrift,
    ];

    /// The wire name (`leak`, `sensor_stuck`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Leak => "leak",
            Self::PressureDrop => "pressure_drop",
            Self::PressureRise => "pressure_rise",
            Self::NightFlowRise => "night_flow_rise",
            Self::SensorMissing => "sensor_missing",
            Self::SensorStuck => "sensor_stuck",
            Self::SensorSpike => "sensor_spike",
            Self::SensorOutOfRange => "sensor_out_of_range",
            Self::SensorDrift => "sensor_drift",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Leak => "Leak",
            Self::PressureDrop => "Pressure drop",
            Self::PressureRise => "Pressure rise",
            Self::NightFlowRise => "Night flow rise",
            Self::SensorMissing => "Missing data",
            Self::SensorStuck => "Stuck sensor",
            Self::SensorSpike => "Spike",
            Self::SensorOutOfRange => "Out of range",
            Self::SensorDrift => "Drifting sensor",
        }
    }

    /// A fault of a sensor or its telemetry rather than of the network.
    pub fn is_fault(self) -> bool {
        matches!(
            self,
            Self::SensorMissing
                | Self::SensorStuck
                | Self::SensorSpike
                | Self::SensorOutOfRange
                | Self::SensorDrift
        )
    }
}

/// Where an incident is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Nobody has looked at it yet.
    Open,
    /// An operator has seen it and is on it.
    Acknowledged,
    /// Closed by an operator.
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Acknowledged, Self::Resolved]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// How urgent an incident is.
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
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Info, Self::Warning, Self::Critical]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A sensor an incident affects, most affected first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AffectedSensor {
    /// Node id, when the node still exists.
    pub node_id: Option<i64>,
    /// The node's external id (`P07`).
    pub external_id: String,
    /// Metric name (`pressure`, `flow_rate`; the inflow total is reported on its largest meter).
    pub metric: String,
    /// Deviation from the usual level in robust standard deviations (negative: below).
    pub score: f64,
    /// What the sensor usually reads at that time of day, and what it read.
    pub expected: Option<f64>,
    pub actual: Option<f64>,
    /// When this sensor joined the incident.
    pub since: DateTime<Utc>,
}

/// One incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Incident {
    pub id: i64,
    pub kind: AnomalyKind,
    pub severity: Severity,
    pub status: IncidentStatus,
    /// District (DMA) of the most affected sensor.
    pub district: Option<String>,
    /// When the deviation began, as far as the data shows.
    pub started_at: DateTime<Utc>,
    /// When the detector first reported it.
    pub detected_at: DateTime<Utc>,
    /// Newest evidence.
    pub last_seen_at: DateTime<Utc>,
    /// When the evidence stopped (none while it goes on).
    pub ended_at: Option<DateTime<Utc>>,
    /// Strongest deviation seen, in robust standard deviations.
    pub score: f64,
    pub affected: Vec<AffectedSensor>,
    /// What the detector saw, in words.
    pub explanation: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The operators' comments, newest last.
    pub comment: Option<String>,
}

/// Filters of an incident list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentFilter {
    /// Detected at or after.
    pub from: Option<DateTime<Utc>>,
    /// Detected before.
    pub to: Option<DateTime<Utc>>,
    pub status: Option<IncidentStatus>,
    pub kind: Option<AnomalyKind>,
    pub severity: Option<Severity>,
    /// District name, as incidents carry it.
    pub district: Option<String>,
    /// At most this many, newest first (default 200, at most 1000).
    pub limit: Option<u64>,
}

/// An operator's action on an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentAction {
    Acknowledge,
    Resolve,
}

/// Body of an acknowledge or resolve request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentComment {
    /// Optional note (at most 2000 characters).
    pub comment: Option<String>,
}

//! The dashboard summary: what the network looks like right now.

use crate::{Metric, NodeKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One stored reading: when and what.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LatestValue {
    /// Timestamp of the reading, UTC.
    pub at: DateTime<Utc>,
    /// The value, in the metric's unit.
    pub value: f64,
}

/// A node with its most recent flow and pressure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeLatest {
    /// Node id.
    pub id: i64,
    /// The id the source system uses (e.g. `P01`).
    pub external_id: String,
    /// Display name.
    pub name: String,
    /// Asset kind.
    pub kind: NodeKind,
    /// District (DMA) name, if assigned.
    pub district: Option<String>,
    /// Latest `flow_rate` reading (L/s).
    pub flow_rate: Option<LatestValue>,
    /// Latest `pressure` reading (bar).
    pub pressure: Option<LatestValue>,
    /// Latest `level` reading (m): a tank's water level.
    #[serde(default)]
    pub level: Option<LatestValue>,
    /// When the node last reported anything (any metric).
    pub last_seen: Option<DateTime<Utc>>,
}

/// Count and mean of one metric's readings over the summary window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MetricWindow {
    /// Which metric.
    pub metric: Metric,
    /// Number of readings in the window.
    pub count: i64,
    /// Mean value over the window, if any readings.
    pub mean: Option<f64>,
    /// Minimum value over the window.
    pub min: Option<f64>,
    /// Maximum value over the window.
    pub max: Option<f64>,
}

/// The main dashboard's numbers for one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DashboardSummary {
    /// Tenant slug the numbers belong to.
    pub tenant: String,
    /// When the server computed this summary.
    pub generated_at: DateTime<Utc>,
    /// Start of the window the counts cover (24 h before `generated_at`).
    pub window_start: DateTime<Utc>,
    /// Active nodes in the tenant.
    pub node_count: i64,
    /// Readings stored with a timestamp in the last 24 hours.
    pub readings_24h: i64,
    /// Per-metric statistics over the last 24 hours, for metrics that have readings.
    pub metrics_24h: Vec<MetricWindow>,
    /// Every active node with its latest flow, pressure and level, ordered by external id.
    pub nodes: Vec<NodeLatest>,
    /// Incidents not yet resolved (open or acknowledged), and how many of them are critical.
    pub open_incidents: i64,
    pub critical_incidents: i64,
}

impl DashboardSummary {
    /// Sum of the latest flow of all flow-meter nodes (L/s): the network's current inflow.
    pub fn total_inflow(&self) -> Option<f64> {
        let flows: Vec<f64> = self
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Flow)
            .filter_map(|n| n.flow_rate.map(|v| v.value))
            .collect();
        (!flows.is_empty()).then(|| flows.iter().sum())
    }

    /// Mean of the latest pressure across nodes that report one (bar).
    pub fn mean_pressure(&self) -> Option<f64> {
        let p: Vec<f64> = self
            .nodes
            .iter()
            .filter_map(|n| n.pressure.map(|v| v.value))
            .collect();
        (!p.is_empty()).then(|| p.iter().sum::<f64>() / p.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: NodeKind, flow: Option<f64>, pressure: Option<f64>) -> NodeLatest {
        let at = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        NodeLatest {
            id: 1,
            external_id: "X".into(),
            name: "X".into(),
            kind,
            district: None,
            flow_rate: flow.map(|value| LatestValue { at, value }),
            pressure: pressure.map(|value| LatestValue { at, value }),
            level: None,
            last_seen: Some(at),
        }
    }

    fn summary(nodes: Vec<NodeLatest>) -> DashboardSummary {
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        DashboardSummary {
            tenant: "t".into(),
            generated_at: now,
            window_start: now,
            node_count: nodes.len() as i64,
            readings_24h: 0,
            metrics_24h: vec![],
            nodes,
            open_incidents: 0,
            critical_incidents: 0,
        }
    }

    #[test]
    fn inflow_sums_flow_meters_only() {
        let s = summary(vec![
            node(NodeKind::Flow, Some(10.0), None),
            node(NodeKind::Flow, Some(2.5), Some(3.0)),
            node(NodeKind::Meter, Some(100.0), None),
        ]);
        assert_eq!(s.total_inflow(), Some(12.5));
        assert_eq!(s.mean_pressure(), Some(3.0));
    }

    #[test]
    fn empty_network_has_no_figures() {
        let s = summary(vec![node(NodeKind::Pressure, None, None)]);
        assert_eq!(s.total_inflow(), None);
        assert_eq!(s.mean_pressure(), None);
    }
}

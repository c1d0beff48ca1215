//! The detector's view of a tenant's data: the last few weeks of every series on the tenant's
//! reporting grid, kept in memory between runs and topped up with only the new readings.
//!
//! A run reads from the database only what arrived since the previous run (plus a margin for
//! late data), so the 15-minute job stays cheap with thousands of sensors. Another replica, or a
//! restart, simply starts with a full load of the window.

use analytics::zones::{by_location, zone_name, Located};
use analytics::{Panel, SensorKind, Series};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use shared::{Metric, NodeKind};
use std::collections::HashMap;

use crate::storage::entities::{districts, nodes, readings};

/// How far back each top-up reads again, for readings that arrive late.
pub const LATE_MARGIN_SECS: i64 = 6 * 3600;

/// What the detector needs to know about a node.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub id: i64,
    pub external_id: String,
    pub kind: NodeKind,
    pub district: Option<String>,
    /// Latitude and longitude, where known.
    pub position: Option<(f64, f64)>,
}

/// One tenant's cached series on a regular grid.
#[derive(Debug, Clone)]
pub struct Window {
    /// Grid step in seconds.
    pub step: i64,
    /// Unix seconds of index 0.
    pub start: i64,
    /// Readings up to here (inclusive) are loaded.
    pub loaded_until: i64,
    /// Values per (node id, metric code), NaN where nothing arrived.
    pub series: HashMap<(i64, i16), Vec<f64>>,
}

impl Window {
    fn empty(step: i64, start: i64) -> Self {
        Self {
            step,
            start,
            loaded_until: start - 1,
            series: HashMap::new(),
        }
    }

    fn len_until(&self, until: i64) -> usize {
        ((until - self.start).div_euclid(self.step) + 1).max(0) as usize
    }

    /// Moves the start forward to `start`, dropping older values.
    fn advance_start(&mut self, start: i64) {
        let drop = ((start - self.start) / self.step).max(0) as usize;
        if drop == 0 {
            return;
        }
        for v in self.series.values_mut() {
            v.drain(..drop.min(v.len()));
        }
        self.start += drop as i64 * self.step;
    }

    fn put(&mut self, node: i64, metric: i16, ts: i64, value: f64, len: usize) {
        if ts < self.start {
            return;
        }
        let idx = ((ts - self.start) / self.step) as usize;
        let v = self.series.entry((node, metric)).or_default();
        if v.len() < len {
            v.resize(len, f64::NAN);
        }
        if idx < v.len() {
            v[idx] = value;
        }
    }
}

/// Brings `window` (if any) to cover `[start, until]`, reading only what it lacks.
pub async fn refresh(
    db: &DatabaseConnection,
    tenant_id: i64,
    window: Option<Window>,
    step: i64,
    start: i64,
    until: i64,
) -> Result<Window, DbErr> {
    let start = start - start.rem_euclid(step);
    let mut w = match window {
        Some(w)
            if w.step == step
                && w.start <= start
                && w.loaded_until >= start
                && w.loaded_until <= until =>
        {
            w
        }
        _ => Window::empty(step, start),
    };
    w.advance_start(start);
    let read_from = (w.loaded_until - LATE_MARGIN_SECS).max(w.start - 1);
    let len = w.len_until(until);
    let rows: Vec<(i64, i16, DateTime<Utc>, f64)> = readings::Entity::find()
        .select_only()
        .columns([
            readings::Column::NodeId,
            readings::Column::Metric,
            readings::Column::Ts,
            readings::Column::Value,
        ])
        .filter(readings::Column::TenantId.eq(tenant_id))
        .filter(readings::Column::Ts.gt(ts(read_from)))
        .filter(readings::Column::Ts.lte(ts(until)))
        .into_tuple()
        .all(db)
        .await?;
    for (node, metric, at, value) in rows {
        w.put(node, metric, at.timestamp(), value, len);
    }
    for v in w.series.values_mut() {
        v.resize(len, f64::NAN);
    }
    w.loaded_until = until;
    Ok(w)
}

fn ts(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

/// The tenant's active nodes with their districts' names.
pub async fn node_infos(
    db: &DatabaseConnection,
    tenant_id: i64,
) -> Result<HashMap<i64, NodeInfo>, DbErr> {
    let names: HashMap<i64, String> = districts::Entity::find()
        .filter(districts::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    Ok(nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(tenant_id))
        .filter(nodes::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|n| {
            let kind = n.kind.parse::<NodeKind>().ok()?;
            let district = n.district_id.and_then(|d| names.get(&d).cloned());
            Some((
                n.id,
                NodeInfo {
                    id: n.id,
                    external_id: n.external_id,
                    kind,
                    district,
                    position: n.latitude.zip(n.longitude),
                },
            ))
        })
        .collect())
}

/// Where the utility has drawn no districts at all, gives the detector zones of loggers near
/// each other instead (`analytics::zones`, named `Zone A`, `Zone B`, …): it tells events apart
/// by district. Districts that exist are left as they are.
pub fn zone_if_undistricted(nodes: &mut HashMap<i64, NodeInfo>) {
    if nodes.values().any(|n| n.district.is_some()) {
        return;
    }
    let mut ids: Vec<i64> = nodes.keys().copied().collect();
    ids.sort_unstable();
    let places: Vec<Option<Located>> = ids
        .iter()
        .map(|id| {
            let n = &nodes[id];
            n.position.map(|(lat, lon)| Located {
                lat,
                lon,
                logger: n.kind == NodeKind::Pressure,
            })
        })
        .collect();
    for (id, zone) in ids.iter().zip(by_location(&places)) {
        if let Some(n) = nodes.get_mut(id) {
            n.district = zone.map(zone_name);
        }
    }
}

/// How the detector treats a series: pressure anywhere is a pressure logger; flow on an inlet or
/// transfer meter adds to the network inflow (a customer meter's flow does not).
pub fn sensor_kind(node: NodeKind, metric: Metric) -> SensorKind {
    match (node, metric) {
        (_, Metric::Pressure) => SensorKind::Pressure,
        (NodeKind::Flow, Metric::FlowRate) => SensorKind::Flow,
        _ => SensorKind::Other,
    }
}

/// The panel the detector scans, series in a stable order (node id, metric).
pub fn panel(window: &Window, nodes: &HashMap<i64, NodeInfo>, utc_offset: i64) -> Panel {
    let mut keys: Vec<&(i64, i16)> = window
        .series
        .keys()
        .filter(|(n, _)| nodes.contains_key(n))
        .collect();
    keys.sort();
    let series = keys
        .into_iter()
        .filter_map(|key| {
            let node = &nodes[&key.0];
            let metric = Metric::from_code(key.1)?;
            Some(Series {
                node: node.external_id.clone(),
                metric: metric.as_str().to_owned(),
                kind: sensor_kind(node.kind, metric),
                district: node.district.clone(),
                range: metric.physical_range(),
                cumulative: metric == Metric::Volume,
                values: window.series[key].clone(),
            })
        })
        .collect();
    Panel {
        start: window.start,
        step: window.step,
        utc_offset,
        series,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i64, kind: NodeKind, lat: f64, lon: f64, district: Option<&str>) -> NodeInfo {
        NodeInfo {
            id,
            external_id: format!("N{id}"),
            kind,
            district: district.map(str::to_owned),
            position: Some((lat, lon)),
        }
    }

    /// Three groups of three loggers (north, centre, south) and a meter in the south group.
    fn network(district: Option<&str>) -> HashMap<i64, NodeInfo> {
        let mut nodes = HashMap::new();
        for (g, lat) in [39.30, 39.25, 39.20].into_iter().enumerate() {
            for k in 0..3 {
                let id = (g * 3 + k) as i64;
                let d = 0.002 * k as f64;
                nodes.insert(id, node(id, NodeKind::Pressure, lat + d, 9.1 + d, None));
            }
        }
        nodes.insert(9, node(9, NodeKind::Flow, 39.201, 9.1, district));
        nodes
    }

    #[test]
    fn a_network_without_districts_gets_zones_by_location() {
        let mut nodes = network(None);
        zone_if_undistricted(&mut nodes);
        let zone = |id: i64| nodes[&id].district.clone().unwrap_or_default();
        assert_eq!(
            (0..10).map(zone).collect::<Vec<_>>(),
            [
                "Zone A", "Zone A", "Zone A", "Zone B", "Zone B", "Zone B", "Zone C", "Zone C",
                "Zone C", "Zone C"
            ]
        );
    }

    #[test]
    fn drawn_districts_are_left_as_they_are() {
        let mut nodes = network(Some("DMA-S"));
        zone_if_undistricted(&mut nodes);
        assert_eq!(nodes[&9].district.as_deref(), Some("DMA-S"));
        assert!((0..9).all(|id| nodes[&id].district.is_none()));
    }
}

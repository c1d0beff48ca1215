//! A deterministic model of a small network's readings: a diurnal demand curve, pressure
//! falling with the square of flow (friction losses), tank levels following the balance
//! of inflow and demand, seeded noise, and now and then a leak or a faulty sensor
//! (`events`). Same seed, node and time: same value.

use super::events::EventKind;
use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use shared::{Metric, NodeKind};
use std::f64::consts::TAU;

/// A demo district with the inputs of the IWA water balance.
#[derive(Debug, Clone, Copy)]
pub struct DemoDistrict {
    /// Name (unique in the tenant).
    pub name: &'static str,
    /// Mains length, km.
    pub mains_length_km: f64,
    /// Service connections.
    pub service_connections: i32,
    /// Customer-side pipe length, km.
    pub customer_pipe_km: f64,
    /// Average operating pressure, bar.
    pub avg_pressure_bar: f64,
}

/// The two districts of the demo network.
pub const DISTRICTS: &[DemoDistrict] = &[
    DemoDistrict {
        name: "DMA Castello",
        mains_length_km: 14.2,
        service_connections: 1_850,
        customer_pipe_km: 5.5,
        avg_pressure_bar: 3.8,
    },
    DemoDistrict {
        name: "DMA Marina",
        mains_length_km: 9.6,
        service_connections: 1_320,
        customer_pipe_km: 3.9,
        avg_pressure_bar: 4.4,
    },
];

/// One simulated sensor location.
#[derive(Debug, Clone, Copy)]
pub struct DemoNode {
    /// External id (as a SCADA tag would name it).
    pub external_id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Asset kind.
    pub kind: NodeKind,
    /// District (DMA).
    pub district: &'static str,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Ground elevation, metres.
    pub elevation: f64,
    /// Mean flow through the node (L/s) for flow meters; share of district demand otherwise.
    pub mean_flow: f64,
    /// Pressure with no flow (bar).
    pub static_pressure: f64,
    /// Pressure lost at the district's mean flow (bar).
    pub headloss_at_mean: f64,
}

/// The demo network: two districts of Cagliari fed through metered inlets, a tank and
/// loggers. Peak-hour losses stay near 1 bar, as in a network designed for 3–5 bar.
pub const NODES: &[DemoNode] = &[
    DemoNode {
        external_id: "F01",
        name: "Inlet meter — Castello",
        kind: NodeKind::Flow,
        district: "DMA Castello",
        lat: 39.2185,
        lon: 9.1153,
        elevation: 92.0,
        mean_flow: 38.0,
        static_pressure: 4.9,
        headloss_at_mean: 0.15,
    },
    DemoNode {
        external_id: "F02",
        name: "Inlet meter — Marina",
        kind: NodeKind::Flow,
        district: "DMA Marina",
        lat: 39.2142,
        lon: 9.1105,
        elevation: 18.0,
        mean_flow: 54.0,
        static_pressure: 5.3,
        headloss_at_mean: 0.18,
    },
    DemoNode {
        external_id: "P01",
        name: "Logger Via Lamarmora",
        kind: NodeKind::Pressure,
        district: "DMA Castello",
        lat: 39.219,
        lon: 9.1142,
        elevation: 85.0,
        mean_flow: 38.0,
        static_pressure: 4.4,
        headloss_at_mean: 0.28,
    },
    DemoNode {
        external_id: "P02",
        name: "Logger Piazza Palazzo",
        kind: NodeKind::Pressure,
        district: "DMA Castello",
        lat: 39.2178,
        lon: 9.1161,
        elevation: 96.0,
        mean_flow: 38.0,
        static_pressure: 3.9,
        headloss_at_mean: 0.32,
    },
    DemoNode {
        external_id: "P03",
        name: "Logger Via Roma",
        kind: NodeKind::Pressure,
        district: "DMA Marina",
        lat: 39.2139,
        lon: 9.1097,
        elevation: 6.0,
        mean_flow: 54.0,
        static_pressure: 5.1,
        headloss_at_mean: 0.35,
    },
    DemoNode {
        external_id: "P04",
        name: "Logger Via Sassari",
        kind: NodeKind::Pressure,
        district: "DMA Marina",
        lat: 39.2149,
        lon: 9.1083,
        elevation: 9.0,
        mean_flow: 54.0,
        static_pressure: 4.8,
        headloss_at_mean: 0.38,
    },
    DemoNode {
        external_id: "T01",
        name: "Tank San Michele",
        kind: NodeKind::Tank,
        district: "DMA Castello",
        lat: 39.2403,
        lon: 9.1021,
        elevation: 120.0,
        mean_flow: 92.0,
        static_pressure: 0.0,
        headloss_at_mean: 0.0,
    },
];

impl DemoNode {
    /// The metrics this node reports.
    pub fn metrics(&self) -> &'static [Metric] {
        match self.kind {
            NodeKind::Flow => &[Metric::FlowRate, Metric::Pressure],
            NodeKind::Tank => &[Metric::Level],
            _ => &[Metric::Pressure],
        }
    }
}

/// Relative demand (mean 1.0 over a day) at a given local hour: low at night, a morning
/// peak around 07:30 and an evening peak around 20:00; weekends start later and flatter.
pub fn demand_factor(local_hour: f64, weekday: Weekday) -> f64 {
    let weekend = matches!(weekday, Weekday::Sat | Weekday::Sun);
    let (morning_at, morning) = if weekend { (9.5, 0.65) } else { (7.5, 0.95) };
    let bump = |centre: f64, width: f64| (-((local_hour - centre) / width).powi(2)).exp();
    let raw =
        0.42 + morning * bump(morning_at, 1.6) + 0.45 * bump(13.0, 2.5) + 0.7 * bump(20.0, 2.0);
    // 0.42 + areas of the bumps / 24 h normalises the daily mean to 1.
    let mean = 0.42 + (morning * 1.6 + 0.45 * 2.5 + 0.7 * 2.0) * std::f64::consts::PI.sqrt() / 24.0;
    raw / mean
}

/// Standard normal noise from (seed, node, step): splitmix64 then Box–Muller.
pub fn noise(seed: u64, node: &str, step: i64) -> f64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for b in node.bytes() {
        h = splitmix(h ^ u64::from(b));
    }
    h = splitmix(h ^ step as u64);
    let u1 = ((h >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = ((splitmix(h) >> 11) as f64) / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

pub(crate) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Local hour of day in Sardinia (CET/CEST approximated as UTC+1 in winter, +2 in summer).
fn local_hour(ts: DateTime<Utc>) -> (f64, Weekday) {
    let offset = if (4..=10).contains(&ts.month()) { 2 } else { 1 };
    let local = ts + chrono::Duration::hours(offset);
    (
        f64::from(local.hour()) + f64::from(local.minute()) / 60.0,
        local.weekday(),
    )
}

/// The value `node` reports for `metric` at `ts`: the healthy network's value, changed by
/// whatever event is in progress (see `events`).
pub fn value(seed: u64, node: &DemoNode, metric: Metric, ts: DateTime<Utc>) -> f64 {
    let events = super::events::active_at(seed, ts);
    // A stuck logger repeats what it read when it got stuck, whatever else happens.
    if let Some(stuck) = events.iter().find(|e| {
        e.kind
            == EventKind::Stuck {
                node: node.external_id,
            }
    }) {
        return healthy_value(seed, node, metric, stuck.start);
    }
    let mut v = healthy_value(seed, node, metric, ts);
    for event in events {
        match event.kind {
            EventKind::Leak {
                district,
                near,
                lps,
                share,
            } if node.district == district => {
                // The leak opens over half an hour.
                let ramp = ((ts - event.start).num_seconds() as f64 / 1_800.0).clamp(0.0, 1.0);
                match metric {
                    Metric::FlowRate => v += lps * ramp,
                    Metric::Pressure => {
                        let proximity = if node.external_id == near { 1.0 } else { 0.5 };
                        v -= ramp * proximity * (0.25 + 1.5 * share);
                    }
                    _ => {}
                }
            }
            EventKind::Spike { node: spiked, bar } if spiked == node.external_id => {
                v += bar;
            }
            _ => {}
        }
    }
    (v * 1000.0).round() / 1000.0
}

/// The value of the healthy network (no leak, no sensor fault).
pub fn healthy_value(seed: u64, node: &DemoNode, metric: Metric, ts: DateTime<Utc>) -> f64 {
    let step = ts.timestamp() / 60;
    let (hour, weekday) = local_hour(ts);
    let demand = demand_factor(hour, weekday);
    let eps = noise(seed, node.external_id, step * 8 + metric as i64);
    let v = match metric {
        Metric::FlowRate => node.mean_flow * demand * (1.0 + 0.03 * eps),
        Metric::Pressure => {
            node.static_pressure - node.headloss_at_mean * demand * demand + 0.03 * eps
        }
        // The tank drains through the day's peaks and refills at night.
        Metric::Level => {
            let phase = TAU * (hour - 4.0) / 24.0;
            3.6 + 1.1 * phase.cos() + 0.01 * eps
        }
        _ => 0.0,
    };
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demand_averages_to_one_and_peaks_by_day() {
        let mean: f64 = (0..24 * 60)
            .map(|m| demand_factor(f64::from(m) / 60.0, Weekday::Wed))
            .sum::<f64>()
            / (24.0 * 60.0);
        assert!((mean - 1.0).abs() < 0.02, "daily mean {mean}");
        let night = demand_factor(3.5, Weekday::Wed);
        let morning = demand_factor(7.5, Weekday::Wed);
        assert!(
            night < 0.6 && morning > 1.4,
            "night {night}, morning {morning}"
        );
    }

    #[test]
    fn pressure_drops_when_flow_rises() {
        let node = &NODES[2];
        let night = "2026-03-04T02:30:00Z".parse().unwrap();
        let peak = "2026-03-04T06:30:00Z".parse().unwrap();
        assert!(value(7, node, Metric::Pressure, night) > value(7, node, Metric::Pressure, peak));
    }

    #[test]
    fn same_seed_same_values_other_seed_other_values() {
        let ts = "2026-03-04T12:00:00Z".parse().unwrap();
        let a = value(7, &NODES[0], Metric::FlowRate, ts);
        assert_eq!(a, value(7, &NODES[0], Metric::FlowRate, ts));
        assert_ne!(a, value(8, &NODES[0], Metric::FlowRate, ts));
    }

    #[test]
    fn a_leak_raises_its_districts_inflow_and_lowers_its_pressure() {
        use super::super::events::{events_between, EventKind};
        let from: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let leak = events_between(7, from, from + chrono::Duration::days(60))
            .into_iter()
            .find(|e| matches!(e.kind, EventKind::Leak { .. }))
            .expect("a leak in two months");
        let EventKind::Leak {
            district,
            near,
            lps,
            ..
        } = leak.kind
        else {
            unreachable!()
        };
        let during = leak.start + chrono::Duration::hours(1);
        let inlet = NODES
            .iter()
            .find(|n| n.kind == NodeKind::Flow && n.district == district)
            .unwrap();
        let flow = value(7, inlet, Metric::FlowRate, during);
        let healthy = healthy_value(7, inlet, Metric::FlowRate, during);
        assert!(
            (flow - healthy - lps).abs() < 0.01,
            "{flow} vs {healthy} + {lps}"
        );
        let logger = NODES.iter().find(|n| n.external_id == near).unwrap();
        let drop = healthy_value(7, logger, Metric::Pressure, during)
            - value(7, logger, Metric::Pressure, during);
        assert!(drop > 0.3, "pressure drop {drop}");
        let after = leak.end + chrono::Duration::minutes(5);
        assert!(
            events_between(7, after, after + chrono::Duration::seconds(1))
                .iter()
                .all(|e| e.kind != leak.kind)
        );
    }

    #[test]
    fn a_stuck_logger_repeats_its_value() {
        use super::super::events::{events_between, EventKind};
        let from: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let stuck = events_between(7, from, from + chrono::Duration::days(60))
            .into_iter()
            .find(|e| matches!(e.kind, EventKind::Stuck { .. }))
            .expect("a stuck logger in two months");
        let EventKind::Stuck { node } = stuck.kind else {
            unreachable!()
        };
        let logger = NODES.iter().find(|n| n.external_id == node).unwrap();
        let values: Vec<f64> = (0..12)
            .map(|i| {
                value(
                    7,
                    logger,
                    Metric::Pressure,
                    stuck.start + chrono::Duration::minutes(5 * i),
                )
            })
            .collect();
        assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
    }

    #[test]
    fn noise_is_roughly_standard_normal() {
        let xs: Vec<f64> = (0..20_000).map(|i| noise(1, "P01", i)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }
}

//! What goes wrong in the simulated network, now and then: a leak in one district (inflow
//! rises, most of all at night; pressure drops, most near the leak), a pressure logger stuck
//! on one value, a single spike. Drawn from the seed per two-day epoch, so the same seed
//! always has the same events, and any time range can be generated without state.

use super::model::{splitmix, DemoNode, NODES};
use chrono::{DateTime, Duration, DurationRound, Utc};
use shared::NodeKind;

/// Length of the period each set of events is drawn for.
pub const EPOCH: i64 = 2 * 86_400;

/// What happens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventKind {
    /// Water escapes in `district` near the logger `near`, `lps` litres per second.
    Leak {
        /// District (DMA) name.
        district: &'static str,
        /// The pressure logger closest to the leak.
        near: &'static str,
        /// Leak flow, L/s.
        lps: f64,
        /// Leak flow as a share of the district's mean inflow.
        share: f64,
    },
    /// The logger `node` keeps reporting the value it had when the fault began.
    Stuck {
        /// External id of the logger.
        node: &'static str,
    },
    /// One reading of `node` is off by `bar`.
    Spike {
        /// External id of the logger.
        node: &'static str,
        /// Offset, bar.
        bar: f64,
    },
}

/// An event and when it lasts (`start` inclusive, `end` exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// What.
    pub kind: EventKind,
    /// From.
    pub start: DateTime<Utc>,
    /// Until.
    pub end: DateTime<Utc>,
}

fn uniform(seed: u64, epoch: i64, salt: u64) -> f64 {
    let h = splitmix(splitmix(seed ^ 0xD1B5_4A32_D192_ED03) ^ (epoch as u64) ^ (salt << 48));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn loggers(district: Option<&str>) -> Vec<&'static DemoNode> {
    NODES
        .iter()
        .filter(|n| n.kind == NodeKind::Pressure && district.is_none_or(|d| n.district == d))
        .collect()
}

fn pick<T: Copy>(items: &[T], u: f64) -> T {
    items[((u * items.len() as f64) as usize).min(items.len() - 1)]
}

fn slot(epoch: i64, hours: f64) -> DateTime<Utc> {
    let at = DateTime::from_timestamp(epoch * EPOCH, 0).unwrap_or_default()
        + Duration::seconds((hours * 3_600.0) as i64);
    at.duration_trunc(Duration::minutes(5)).unwrap_or(at)
}

/// The events drawn for one epoch (they may run on into the next one).
pub fn events_in_epoch(seed: u64, epoch: i64) -> Vec<Event> {
    let u = |salt| uniform(seed, epoch, salt);
    let mut out = Vec::new();
    if u(1) < 0.4 {
        let inlet = pick(
            &NODES
                .iter()
                .filter(|n| n.kind == NodeKind::Flow)
                .collect::<Vec<_>>(),
            u(2),
        );
        let near = pick(&loggers(Some(inlet.district)), u(3));
        let share = 0.08 + 0.12 * u(4);
        let start = slot(epoch, 40.0 * u(5));
        out.push(Event {
            kind: EventKind::Leak {
                district: inlet.district,
                near: near.external_id,
                lps: (inlet.mean_flow * share * 10.0).round() / 10.0,
                share,
            },
            start,
            end: start + Duration::minutes(((6.0 + 24.0 * u(6)) * 60.0) as i64),
        });
    }
    if u(7) < 0.35 {
        let node = pick(&loggers(None), u(8));
        let start = slot(epoch, 44.0 * u(9));
        out.push(Event {
            kind: EventKind::Stuck {
                node: node.external_id,
            },
            start,
            end: start + Duration::minutes(((2.0 + 6.0 * u(10)) * 60.0) as i64),
        });
    }
    if u(11) < 0.3 {
        let node = pick(&loggers(None), u(12));
        let start = slot(epoch, 47.0 * u(13));
        out.push(Event {
            kind: EventKind::Spike {
                node: node.external_id,
                bar: 1.2 + u(14),
            },
            start,
            end: start + Duration::minutes(5),
        });
    }
    out
}

/// Every event overlapping `[from, to)`.
pub fn events_between(seed: u64, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Event> {
    let first = from.timestamp().div_euclid(EPOCH) - 1;
    let last = to.timestamp().div_euclid(EPOCH);
    (first..=last)
        .flat_map(|e| events_in_epoch(seed, e))
        .filter(|e| e.start < to && e.end > from)
        .collect()
}

/// The events in progress at `ts`.
pub fn active_at(seed: u64, ts: DateTime<Utc>) -> Vec<Event> {
    events_between(seed, ts, ts + Duration::seconds(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_reproducible_and_come_now_and_then() {
        let from: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let to = from + Duration::days(60);
        let a = events_between(7, from, to);
        assert_eq!(a, events_between(7, from, to));
        assert_ne!(a, events_between(8, from, to));
        let leaks = a
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Leak { .. }))
            .count();
        let stuck = a
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Stuck { .. }))
            .count();
        // 30 epochs: about 12 leaks and 10 stuck loggers expected.
        assert!((5..=20).contains(&leaks), "{leaks} leaks");
        assert!((3..=18).contains(&stuck), "{stuck} stuck loggers");
        for e in &a {
            assert!(e.end > e.start);
            if let EventKind::Leak { share, lps, .. } = e.kind {
                assert!((0.08..=0.2).contains(&share) && lps > 0.0);
            }
        }
    }
}

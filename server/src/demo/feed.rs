//! The demo tenant's readings: every 5-minute slot of the network model, for the simulator
//! source (`warehouse::simulator`, pulled by the sync jobs) and for tests. Values are a pure
//! function of (seed, node, time), so two replicas writing the same slot store the same row.

use super::model::{self, NODES};
use super::seed::DemoTenant;
use crate::storage::readings::{self, NewReading};
use crate::storage::rollups;
use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::DatabaseConnection;

/// Step between simulated readings.
pub const STEP_MINUTES: i64 = 5;
/// Seed of the demo network's noise.
pub const SEED: u64 = 20_261_127;

/// The readings of every demo node for each step in `(from, to]`.
pub fn readings_between(
    demo: &DemoTenant,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<NewReading> {
    let step = Duration::minutes(STEP_MINUTES);
    let Ok(mut ts) = from.duration_trunc(step) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while ts + step <= to {
        ts += step;
        for n in NODES {
            let Some(&node_id) = demo.node_ids.get(n.external_id) else {
                continue;
            };
            for &metric in n.metrics() {
                out.push(NewReading {
                    node_id,
                    metric,
                    ts,
                    value: model::value(SEED, n, metric, ts),
                    quality: 0,
                });
            }
        }
    }
    out
}

/// Writes the slots missing since `last` (or the last 24 h) up to `now` and refreshes the
/// rollups; returns the rows inserted or changed and the newest timestamp written.
pub async fn fill(
    db: &DatabaseConnection,
    demo: &DemoTenant,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> anyhow::Result<(u64, DateTime<Utc>)> {
    let day_ago = now - Duration::hours(24);
    let from = last.filter(|l| *l > day_ago).unwrap_or(day_ago);
    let rows = readings_between(demo, from, now);
    let newest = rows.iter().map(|r| r.ts).max().unwrap_or(from);
    let counts = readings::upsert(db, demo.tenant_id, &rows).await?;
    rollups::refresh(db).await?;
    Ok((counts.inserted + counts.updated, newest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn demo() -> DemoTenant {
        DemoTenant {
            tenant_id: 1,
            node_ids: NODES
                .iter()
                .enumerate()
                .map(|(i, n)| (n.external_id, i as i64 + 1))
                .collect::<HashMap<_, _>>(),
        }
    }

    #[test]
    fn one_day_is_288_slots_per_series() {
        let to: DateTime<Utc> = "2026-03-04T12:00:00Z".parse().unwrap();
        let rows = readings_between(&demo(), to - Duration::hours(24), to);
        let series: usize = NODES.iter().map(|n| n.metrics().len()).sum();
        assert_eq!(rows.len(), 288 * series);
        assert!(rows
            .iter()
            .all(|r| r.ts <= to && r.ts > to - Duration::hours(24)));
        assert!(
            rows.iter().all(|r| r.metric.accepts(r.value)),
            "model left the physical range"
        );
    }

    #[test]
    fn nothing_new_within_the_same_slot() {
        let at: DateTime<Utc> = "2026-03-04T12:00:00Z".parse().unwrap();
        assert!(readings_between(&demo(), at, at + Duration::minutes(4)).is_empty());
    }
}

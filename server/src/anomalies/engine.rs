//! One run of the anomaly detector for a tenant, exactly as the 15-minute job and the replay
//! command run it: evaluate the grid steps since the last run (never those already evaluated),
//! with only the data up to the run's clock, and record what the incident tracker changed
//! together with the new watermark, in one transaction.

use super::store;
use super::window::{self, Window};
use crate::live::Live;
use crate::storage::entities::tenants;
use analytics::{Detector, IncidentTracker};
use chrono::{DateTime, Offset, TimeZone, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};
use shared::live::LiveEvent;
use std::collections::HashMap;
use std::sync::Mutex;

/// The reporting grid of the detector, in seconds.
pub const GRID_STEP_SECS: i64 = 900;
/// Name of the detector's watermark (last evaluated step) in `sync_watermarks`.
pub const WATERMARK: &str = "anomaly_detection";
/// A run catches up at most this far (after downtime it does not replay weeks).
const MAX_CATCH_UP_SECS: i64 = 2 * 86_400;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Grid steps evaluated.
    pub steps: usize,
    /// Series in the tenant's window.
    pub series: usize,
    pub opened: usize,
    pub updated: usize,
    pub closed: usize,
}

/// The detector with its per-tenant windows, shared by the runs of one process.
#[derive(Default)]
pub struct AnomalyEngine {
    detector: Detector,
    windows: Mutex<HashMap<i64, Window>>,
}

/// Offset of `zone` from UTC at `at`, in seconds (UTC for an unknown zone).
pub fn utc_offset(zone: &str, at: DateTime<Utc>) -> i64 {
    zone.parse::<chrono_tz::Tz>()
        .map(|tz| {
            i64::from(
                tz.offset_from_utc_datetime(&at.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
        .unwrap_or(0)
}

impl AnomalyEngine {
    /// Evaluates the steps of `tenant_id` up to `clock` that earlier runs have not.
    pub async fn run_tick(
        &self,
        db: &DatabaseConnection,
        live: Option<&Live>,
        tenant_id: i64,
        clock: DateTime<Utc>,
    ) -> anyhow::Result<TickReport> {
        let step = GRID_STEP_SECS;
        let until = clock.timestamp() - clock.timestamp().rem_euclid(step);
        let done = crate::warehouse::sync::watermark(db, WATERMARK, tenant_id)
            .await?
            .map(|w| w.timestamp());
        let first = done
            .map_or(until, |d| d + step)
            .max(until - MAX_CATCH_UP_SECS);
        if first > until {
            return Ok(TickReport::default());
        }
        let per_day = (86_400 / step) as usize;
        let start = first - self.detector.history_steps(per_day) as i64 * step;
        let cached = self
            .windows
            .lock()
            .map_err(|_| anyhow::anyhow!("window cache poisoned"))?
            .remove(&tenant_id);
        let win = window::refresh(db, tenant_id, cached, step, start, until).await?;
        let mut nodes = window::node_infos(db, tenant_id).await?;
        window::zone_if_undistricted(&mut nodes);
        let zone = tenants::Entity::find_by_id(tenant_id)
            .one(db)
            .await?
            .map(|t| t.time_zone)
            .unwrap_or_default();
        let panel = window::panel(&win, &nodes, utc_offset(&zone, clock));
        self.windows
            .lock()
            .map_err(|_| anyhow::anyhow!("window cache poisoned"))?
            .insert(tenant_id, win);

        let from = ((first - panel.start) / step) as usize;
        let detector = self.detector.clone();
        let (panel, signals) = tokio::task::spawn_blocking(move || {
            let signals = detector.scan(&panel, from);
            (panel, signals)
        })
        .await?;

        let txn = db.begin().await?;
        let mut tracker = IncidentTracker::new(store::open_tracked(&txn, tenant_id).await?);
        let mut events = Vec::new();
        for s in &signals {
            events.extend(tracker.observe(panel.time(s.step), &s.findings));
        }
        let opened = store::apply(&txn, tenant_id, &events).await?;
        let until_at = DateTime::from_timestamp(until, 0).unwrap_or(clock);
        crate::warehouse::sync::advance(&txn, WATERMARK, tenant_id, until_at).await?;
        txn.commit().await?;

        let mut report = TickReport {
            steps: signals.len(),
            series: panel.series.len(),
            ..Default::default()
        };
        for ev in &events {
            match ev {
                analytics::TrackerEvent::Opened(_) => report.opened += 1,
                analytics::TrackerEvent::Updated(_) => report.updated += 1,
                analytics::TrackerEvent::Closed(_) => report.closed += 1,
            }
        }
        if let Some(live) = live {
            if events
                .iter()
                .any(|e| !matches!(e, analytics::TrackerEvent::Updated(_)))
            {
                live.incidents_changed(tenant_id).await;
            }
            for i in opened {
                let top = i.affected.first();
                live.publish(
                    tenant_id,
                    LiveEvent::Incident {
                        kind: store::kind_of(i.kind),
                        severity: store::severity(i.kind, i.score),
                        node: top.map(|a| a.node.clone()),
                        district: i.district.clone(),
                        detected_at: DateTime::from_timestamp(i.detected_at, 0).unwrap_or(clock),
                        explanation: i.explanation.clone(),
                    },
                )
                .await;
            }
        }
        Ok(report)
    }
}

//! Pulling a source into the store: each page is validated, resolved to the tenant's nodes
//! and upserted (idempotent, so a page stored twice changes nothing); the source's watermark
//! moves to the newest stored timestamp only after every page is committed. A pull that
//! fails halfway leaves the watermark where it was, and the next run repeats the window.

use super::ReadingSource;
use crate::ingest::import::{node_map, write_parsed};
use crate::live::Live;
use crate::storage::entities::sync_watermarks;
use crate::storage::rollups;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};
use shared::ingest::ImportReport;

/// What one pull did.
#[derive(Debug, Clone, Default)]
pub struct SyncOutcome {
    /// Rows stored, unchanged and rejected.
    pub report: ImportReport,
    /// Pages read.
    pub pages: u64,
    /// The window pulled.
    pub since: Option<DateTime<Utc>>,
    /// The watermark after the pull.
    pub watermark: Option<DateTime<Utc>>,
}

impl SyncOutcome {
    /// A one-line summary for the job ledger.
    pub fn describe(&self, source: &str) -> String {
        format!(
            "{source}: {} pages, {} new, {} changed, {} unchanged, {} rejected; watermark {}",
            self.pages,
            self.report.inserted,
            self.report.updated,
            self.report.unchanged,
            self.report.rejected,
            self.watermark
                .map_or_else(|| "not set".to_owned(), |w| w.to_rfc3339())
        )
    }
}

/// The newest committed timestamp of `source` for `tenant_id`.
pub async fn watermark(
    db: &impl ConnectionTrait,
    source: &str,
    tenant_id: i64,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(
        sync_watermarks::Entity::find_by_id((source.to_owned(), tenant_id))
            .one(db)
            .await?
            .map(|w| w.watermark),
    )
}

/// Moves the watermark forward to `to` (never back).
pub async fn advance(
    db: &impl ConnectionTrait,
    source: &str,
    tenant_id: i64,
    to: DateTime<Utc>,
) -> Result<DateTime<Utc>, DbErr> {
    let current = watermark(db, source, tenant_id).await?;
    let next = current.map_or(to, |c| c.max(to));
    sync_watermarks::Entity::insert(sync_watermarks::ActiveModel {
        source: Set(source.to_owned()),
        tenant_id: Set(tenant_id),
        watermark: Set(next),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            sync_watermarks::Column::Source,
            sync_watermarks::Column::TenantId,
        ])
        .update_columns([
            sync_watermarks::Column::Watermark,
            sync_watermarks::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(next)
}

/// Pulls `(since, until]` from `source` and stores it.
pub async fn pull_window(
    db: &DatabaseConnection,
    live: Option<&Live>,
    source: &dyn ReadingSource,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<SyncOutcome> {
    let tenant_id = source.tenant_id();
    let nodes = node_map(db, tenant_id).await?;
    let mut pages = source.pull(since, until).await?;
    let mut out = SyncOutcome {
        since: Some(since),
        ..SyncOutcome::default()
    };
    let mut newest: Option<DateTime<Utc>> = None;
    while let Some(page) = pages.next_page().await? {
        out.pages += 1;
        let mut valid = Vec::with_capacity(page.len());
        for row in page {
            if !row.metric.accepts(row.value) {
                let (lo, hi) = row.metric.physical_range();
                out.report.reject(
                    row.line,
                    row.metric.as_str(),
                    format!("{} outside the physical range {lo}–{hi}", row.value),
                );
            } else if row.ts > until + Duration::minutes(5) {
                out.report.reject(
                    row.line,
                    "timestamp",
                    format!("{} is in the future", row.ts),
                );
            } else {
                newest = newest.max(Some(row.ts));
                valid.push(row);
            }
        }
        write_parsed(db, live, tenant_id, &nodes, valid, &mut out.report).await?;
    }
    rollups::refresh(db).await?;
    out.watermark = match newest {
        Some(to) => Some(advance(db, source.name(), tenant_id, to).await?),
        None => watermark(db, source.name(), tenant_id).await?,
    };
    Ok(out)
}

/// The real-time pull: from the watermark (or, the first time, `backfill` before `now`: the
/// initial backfill) to `now`. After an outage the whole gap is pulled, page by page.
pub async fn realtime(
    db: &DatabaseConnection,
    live: Option<&Live>,
    source: &dyn ReadingSource,
    now: DateTime<Utc>,
    backfill: Duration,
) -> anyhow::Result<SyncOutcome> {
    let since = watermark(db, source.name(), source.tenant_id())
        .await?
        .unwrap_or(now - backfill);
    pull_window(db, live, source, since, now).await
}

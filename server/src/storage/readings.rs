//! Writing readings: idempotent upserts that count what changed, keep `latest_readings`
//! current and mark the touched hourly buckets for the rollup refresh.
//!
//! PostgreSQL streams each batch with `COPY` into a temporary staging table and applies it
//! with set-based statements; SQLite batches multi-row inserts inside one transaction.

mod bulk;
mod pg;
mod sqlite;

pub use bulk::{drop_orphans, BulkLoad, Finished};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use shared::Metric;
use std::collections::HashMap;

/// A reading ready to store (already validated against its metric's range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewReading {
    /// Node id (already resolved inside the tenant).
    pub node_id: i64,
    /// What was measured.
    pub metric: Metric,
    /// When, UTC.
    pub ts: DateTime<Utc>,
    /// The value in the metric's unit.
    pub value: f64,
    /// Source quality flags (0 = good).
    pub quality: i32,
}

/// What a write did to the stored readings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// New (node, metric, timestamp) rows.
    pub inserted: u64,
    /// Existing rows whose value or quality changed.
    pub updated: u64,
    /// Rows identical to what was stored (or repeated within the batch).
    pub unchanged: u64,
}

impl std::ops::AddAssign for WriteCounts {
    fn add_assign(&mut self, rhs: Self) {
        self.inserted += rhs.inserted;
        self.updated += rhs.updated;
        self.unchanged += rhs.unchanged;
    }
}

/// Stores `rows` for `tenant_id` in one transaction. A row with an existing
/// (node, metric, ts) replaces the stored value, so storing the same rows twice is harmless;
/// within one batch the last row for a key wins.
pub async fn upsert(
    db: &DatabaseConnection,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<WriteCounts, DbErr> {
    if rows.is_empty() {
        return Ok(WriteCounts::default());
    }
    let unique = last_per_key(rows);
    let repeated = (rows.len() - unique.len()) as u64;
    let mut counts = match db.get_database_backend() {
        DbBackend::Postgres => {
            // Run the transaction in its own task: if the caller is cancelled (a client hangs
            // up, an import is interrupted) the batch still commits or rolls back cleanly
            // instead of leaving a pooled connection stuck in the middle of a COPY.
            let db = db.clone();
            tokio::spawn(async move { pg_with_retry(&db, tenant_id, &unique).await })
                .await
                .map_err(|e| DbErr::Custom(format!("batch writer stopped: {e}")))??
        }
        _ => sqlite::upsert(db, tenant_id, &unique).await?,
    };
    counts.unchanged += repeated;
    Ok(counts)
}

/// Runs the PostgreSQL batch, retrying it (it is idempotent) when PostgreSQL chose it as the
/// victim of a deadlock or serialization conflict with a concurrent writer.
async fn pg_with_retry(
    db: &DatabaseConnection,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<WriteCounts, DbErr> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match pg::upsert(db.get_postgres_connection_pool(), tenant_id, rows).await {
            Ok(counts) => return Ok(counts),
            Err(e) => {
                let code = e
                    .as_database_error()
                    .and_then(|d| d.code())
                    .unwrap_or_default();
                if attempt < 4 && (code == "40P01" || code == "40001") {
                    tracing::debug!(%code, attempt, "batch retried after a conflict");
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                    continue;
                }
                return Err(DbErr::Custom(format!("PostgreSQL bulk write: {e}")));
            }
        }
    }
}

/// Keeps the last occurrence of each (node, metric, ts), in first-seen order.
fn last_per_key(rows: &[NewReading]) -> Vec<NewReading> {
    let mut index: HashMap<(i64, Metric, DateTime<Utc>), usize> =
        HashMap::with_capacity(rows.len());
    let mut out: Vec<NewReading> = Vec::with_capacity(rows.len());
    for r in rows {
        match index.get(&(r.node_id, r.metric, r.ts)) {
            Some(&i) => out[i] = *r,
            None => {
                index.insert((r.node_id, r.metric, r.ts), out.len());
                out.push(*r);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_row_for_a_key_wins() {
        let ts: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
        let r = |node_id, value| NewReading {
            node_id,
            metric: Metric::Pressure,
            ts,
            value,
            quality: 0,
        };
        let out = last_per_key(&[r(1, 1.0), r(2, 2.0), r(1, 3.0)]);
        assert_eq!(out, vec![r(1, 3.0), r(2, 2.0)]);
    }
}

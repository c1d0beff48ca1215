//! Writing readings: idempotent upserts that also keep `latest_readings` current.

use super::entities::{latest_readings, readings};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, TransactionTrait};
use shared::Metric;
use std::collections::HashMap;

/// Rows per INSERT statement: 6 bound values each stays well under SQLite's 32,766 limit.
const CHUNK: usize = 1_000;

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

/// Stores `rows` for `tenant_id` in one transaction. A row with an existing
/// (node, metric, ts) replaces the stored value, so storing the same rows twice is harmless.
pub async fn upsert<C>(db: &C, tenant_id: i64, rows: &[NewReading]) -> Result<u64, DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    if rows.is_empty() {
        return Ok(0);
    }
    let txn = db.begin().await?;
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        let models = chunk.iter().map(|r| readings::ActiveModel {
            tenant_id: Set(tenant_id),
            node_id: Set(r.node_id),
            metric: Set(r.metric.as_str().to_owned()),
            ts: Set(r.ts),
            value: Set(r.value),
            quality: Set(r.quality),
        });
        written += readings::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([
                    readings::Column::NodeId,
                    readings::Column::Metric,
                    readings::Column::Ts,
                ])
                .update_columns([readings::Column::Value, readings::Column::Quality])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    update_latest(&txn, tenant_id, rows).await?;
    txn.commit().await?;
    Ok(written)
}

/// Moves `latest_readings` forward to the newest row per (node, metric) in `rows`,
/// never backwards (an old late-arriving reading leaves the latest alone).
async fn update_latest<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<(), DbErr> {
    let mut newest: HashMap<(i64, Metric), &NewReading> = HashMap::new();
    for r in rows {
        newest
            .entry((r.node_id, r.metric))
            .and_modify(|cur| {
                if r.ts >= cur.ts {
                    *cur = r;
                }
            })
            .or_insert(r);
    }
    let models: Vec<_> = newest
        .values()
        .map(|r| latest_readings::ActiveModel {
            tenant_id: Set(tenant_id),
            node_id: Set(r.node_id),
            metric: Set(r.metric.as_str().to_owned()),
            ts: Set(r.ts),
            value: Set(r.value),
        })
        .collect();
    for chunk in models.chunks(CHUNK) {
        latest_readings::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    latest_readings::Column::NodeId,
                    latest_readings::Column::Metric,
                ])
                .update_columns([latest_readings::Column::Ts, latest_readings::Column::Value])
                .action_and_where(Expr::cust("excluded.ts >= latest_readings.ts"))
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

//! The SQLite write path: multi-row statements in one transaction.

use super::{NewReading, WriteCounts};
use crate::storage::entities::{latest_readings, readings};
use crate::storage::rollups::hour_of;
use crate::storage::sql::stmt;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
};
use std::collections::{BTreeSet, HashMap};

/// Rows per statement: 6 bound values each stays under SQLite's 32,766-variable limit.
const CHUNK: usize = 2_000;

fn models(tenant_id: i64, rows: &[NewReading]) -> impl Iterator<Item = readings::ActiveModel> + '_ {
    rows.iter().map(move |r| readings::ActiveModel {
        tenant_id: Set(tenant_id),
        node_id: Set(r.node_id),
        metric: Set(r.metric.code()),
        ts: Set(r.ts),
        value: Set(r.value),
        quality: Set(r.quality),
    })
}

fn key() -> OnConflict {
    OnConflict::columns([
        readings::Column::NodeId,
        readings::Column::Metric,
        readings::Column::Ts,
    ])
}

#[derive(FromQueryResult)]
struct Stored {
    node_id: i64,
    metric: i16,
    ts: DateTime<Utc>,
    value: f64,
    quality: i32,
}

/// The stored rows among `chunk`'s keys: one primary-key range scan per (node, metric)
/// over the chunk's time span, instead of a lookup per row.
async fn existing<C: ConnectionTrait>(
    db: &C,
    chunk: &[NewReading],
) -> Result<HashMap<(i64, i16, DateTime<Utc>), (f64, i32)>, DbErr> {
    let mut spans: HashMap<(i64, i16), (DateTime<Utc>, DateTime<Utc>)> = HashMap::new();
    for r in chunk {
        spans
            .entry((r.node_id, r.metric.code()))
            .and_modify(|(lo, hi)| {
                *lo = (*lo).min(r.ts);
                *hi = (*hi).max(r.ts);
            })
            .or_insert((r.ts, r.ts));
    }
    let mut out = HashMap::with_capacity(chunk.len());
    for ((node_id, metric), (lo, hi)) in spans {
        let rows = Stored::find_by_statement(stmt(
            db.get_database_backend(),
            "SELECT node_id, metric, ts, value, quality FROM readings \
             WHERE node_id = ? AND metric = ? AND ts >= ? AND ts <= ?",
            vec![node_id.into(), metric.into(), lo.into(), hi.into()],
        ))
        .all(db)
        .await?;
        out.extend(
            rows.into_iter()
                .map(|r| ((r.node_id, r.metric, r.ts), (r.value, r.quality))),
        );
    }
    Ok(out)
}

pub(super) async fn upsert(
    db: &DatabaseConnection,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<WriteCounts, DbErr> {
    let (_writer, txn) = crate::storage::begin_write(db).await?;
    let mut counts = WriteCounts::default();
    let mut changed = Vec::new();
    for chunk in rows.chunks(CHUNK) {
        let stored = existing(&txn, chunk).await?;
        changed.clear();
        for r in chunk {
            match stored.get(&(r.node_id, r.metric.code(), r.ts)) {
                None => {
                    counts.inserted += 1;
                    changed.push(*r);
                }
                Some(&(value, quality)) if value != r.value || quality != r.quality => {
                    counts.updated += 1;
                    changed.push(*r);
                }
                Some(_) => counts.unchanged += 1,
            }
        }
        if changed.is_empty() {
            continue;
        }
        readings::Entity::insert_many(models(tenant_id, &changed))
            .on_conflict(
                key()
                    .update_columns([readings::Column::Value, readings::Column::Quality])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        mark_dirty(&txn, tenant_id, &changed).await?;
    }
    update_latest(&txn, tenant_id, rows).await?;
    txn.commit().await?;
    Ok(counts)
}

/// Queues every hour the changed rows fall in for the rollup refresh.
async fn mark_dirty<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<(), DbErr> {
    let hours: BTreeSet<_> = rows
        .iter()
        .map(|r| (r.node_id, r.metric.code(), hour_of(r.ts)))
        .collect();
    let hours: Vec<_> = hours.into_iter().collect();
    for chunk in hours.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(crate::storage::rollups::RollupDirty::Table)
            .columns([
                crate::storage::rollups::RollupDirty::TenantId,
                crate::storage::rollups::RollupDirty::NodeId,
                crate::storage::rollups::RollupDirty::Metric,
                crate::storage::rollups::RollupDirty::Hour,
            ])
            .on_conflict(
                OnConflict::columns([
                    crate::storage::rollups::RollupDirty::NodeId,
                    crate::storage::rollups::RollupDirty::Metric,
                    crate::storage::rollups::RollupDirty::Hour,
                ])
                .do_nothing()
                .to_owned(),
            );
        for (node_id, metric, hour) in chunk {
            insert.values_panic([
                tenant_id.into(),
                (*node_id).into(),
                (*metric).into(),
                (*hour).into(),
            ]);
        }
        db.execute(db.get_database_backend().build(&insert)).await?;
    }
    Ok(())
}

/// Moves `latest_readings` forward to the newest row per (node, metric) in `rows`,
/// never backwards (an old late-arriving reading leaves the latest alone).
async fn update_latest<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<(), DbErr> {
    let mut newest: HashMap<(i64, i16), &NewReading> = HashMap::new();
    for r in rows {
        newest
            .entry((r.node_id, r.metric.code()))
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
            metric: Set(r.metric.code()),
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

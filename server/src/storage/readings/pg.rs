//! The PostgreSQL write path: `COPY` into a temporary staging table, then set-based
//! statements that insert new rows (merging them into the rollups), update changed ones (a
//! second pass that only runs when the batch met existing rows, so a fresh bulk load pays for
//! one pass; changed hours are queued for the rollup refresh, since a replaced value cannot
//! be merged) and move the latest values forward — all in one transaction.

use super::{NewReading, WriteCounts};
use crate::storage::partitions;
use sqlx::PgPool;
use std::fmt::Write;

/// Bytes of COPY text sent per message.
const COPY_CHUNK: usize = 1 << 20;

/// New rows go in first, and their counts, extremes, sums and last values are merged straight
/// into the hourly and daily rollups in the same transaction: adding rows to a bucket never
/// needs the bucket's other rows. (Rows are merged in key order so concurrent writers queue
/// on bucket locks instead of deadlocking.)
const INSERT_NEW: &str = "
WITH ins AS (
    INSERT INTO readings (tenant_id, node_id, metric, ts, value, quality)
    SELECT $1, node_id, metric, ts, value, quality FROM readings_staging
    ON CONFLICT (node_id, metric, ts) DO NOTHING
    RETURNING node_id, metric, ts, value
), hourly AS (
    INSERT INTO readings_hourly
        (tenant_id, node_id, metric, bucket, count, min_value, max_value, sum_value, last_ts, last_value)
    SELECT $1::bigint, node_id, metric, date_trunc('hour', ts, 'UTC') AS bucket, count(*),
           min(value), max(value), sum(value), max(ts),
           (max(ARRAY[extract(epoch FROM ts)::float8, value]))[2]
    FROM ins GROUP BY node_id, metric, bucket ORDER BY node_id, metric, bucket
    ON CONFLICT (node_id, metric, bucket) DO UPDATE SET
        count = readings_hourly.count + EXCLUDED.count,
        min_value = LEAST(readings_hourly.min_value, EXCLUDED.min_value),
        max_value = GREATEST(readings_hourly.max_value, EXCLUDED.max_value),
        sum_value = readings_hourly.sum_value + EXCLUDED.sum_value,
        last_value = CASE WHEN EXCLUDED.last_ts >= readings_hourly.last_ts
                          THEN EXCLUDED.last_value ELSE readings_hourly.last_value END,
        last_ts = GREATEST(readings_hourly.last_ts, EXCLUDED.last_ts)
), daily AS (
    INSERT INTO readings_daily
        (tenant_id, node_id, metric, bucket, count, min_value, max_value, sum_value, last_ts, last_value)
    SELECT $1::bigint, node_id, metric, date_trunc('day', ts, 'UTC') AS bucket, count(*),
           min(value), max(value), sum(value), max(ts),
           (max(ARRAY[extract(epoch FROM ts)::float8, value]))[2]
    FROM ins GROUP BY node_id, metric, bucket ORDER BY node_id, metric, bucket
    ON CONFLICT (node_id, metric, bucket) DO UPDATE SET
        count = readings_daily.count + EXCLUDED.count,
        min_value = LEAST(readings_daily.min_value, EXCLUDED.min_value),
        max_value = GREATEST(readings_daily.max_value, EXCLUDED.max_value),
        sum_value = readings_daily.sum_value + EXCLUDED.sum_value,
        last_value = CASE WHEN EXCLUDED.last_ts >= readings_daily.last_ts
                          THEN EXCLUDED.last_value ELSE readings_daily.last_value END,
        last_ts = GREATEST(readings_daily.last_ts, EXCLUDED.last_ts)
)
SELECT count(*) FROM ins";

/// Only when some staged rows already existed: replace the values that differ. The time
/// bounds let PostgreSQL skip partitions the batch does not touch. The rollup refresh
/// recomputes each series between its first and last queued hour, so queueing the two ends
/// of each series' span is enough.
const UPDATE_CHANGED: &str = "
WITH upd AS (
    UPDATE readings r SET value = s.value, quality = s.quality
    FROM readings_staging s
    WHERE r.node_id = s.node_id AND r.metric = s.metric AND r.ts = s.ts
      AND r.ts >= $2 AND r.ts <= $3
      AND (r.value IS DISTINCT FROM s.value OR r.quality IS DISTINCT FROM s.quality)
    RETURNING r.node_id, r.metric, r.ts
), queued AS (
    INSERT INTO rollup_dirty (tenant_id, node_id, metric, hour)
    SELECT $1::bigint, node_id, metric, hour FROM (
        SELECT node_id, metric, date_trunc('hour', min(ts), 'UTC') AS lo,
               date_trunc('hour', max(ts), 'UTC') AS hi
        FROM upd GROUP BY node_id, metric
    ) span CROSS JOIN LATERAL (VALUES (lo), (hi)) AS ends(hour)
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM upd";

const LATEST: &str = "
INSERT INTO latest_readings (tenant_id, node_id, metric, ts, value)
SELECT DISTINCT ON (node_id, metric) $1, node_id, metric, ts, value
FROM readings_staging ORDER BY node_id, metric, ts DESC
ON CONFLICT (node_id, metric) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value
WHERE EXCLUDED.ts >= latest_readings.ts";

pub(super) async fn upsert(
    pool: &PgPool,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<WriteCounts, sqlx::Error> {
    partitions::ensure_for(pool, rows.iter().map(|r| r.ts)).await?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS readings_staging (
            node_id BIGINT NOT NULL, metric SMALLINT NOT NULL, ts TIMESTAMPTZ NOT NULL,
            value DOUBLE PRECISION NOT NULL, quality INTEGER NOT NULL
        ) ON COMMIT DELETE ROWS",
    )
    .execute(&mut *tx)
    .await?;
    let mut copy = tx
        .copy_in_raw("COPY readings_staging (node_id, metric, ts, value, quality) FROM STDIN")
        .await?;
    let mut buf = String::with_capacity(COPY_CHUNK + 128);
    for r in rows {
        // Text format: tab-separated; finite floats print without exponents.
        let _ = writeln!(
            buf,
            "{}\t{}\t{}\t{}\t{}",
            r.node_id,
            r.metric.code(),
            r.ts.to_rfc3339(),
            r.value,
            r.quality
        );
        if buf.len() >= COPY_CHUNK {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_bytes()).await?;
    }
    copy.finish().await?;
    let (inserted,): (i64,) = sqlx::query_as(INSERT_NEW)
        .bind(tenant_id)
        .fetch_one(&mut *tx)
        .await?;
    let mut updated: i64 = 0;
    if (inserted as usize) < rows.len() {
        // Statistics on the staging table steer the planner to index probes.
        sqlx::query("ANALYZE readings_staging")
            .execute(&mut *tx)
            .await?;
        let lo = rows.iter().map(|r| r.ts).min();
        let hi = rows.iter().map(|r| r.ts).max();
        (updated,) = sqlx::query_as(UPDATE_CHANGED)
            .bind(tenant_id)
            .bind(lo)
            .bind(hi)
            .fetch_one(&mut *tx)
            .await?;
    }
    sqlx::query(LATEST)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let (inserted, updated) = (inserted as u64, updated as u64);
    Ok(WriteCounts {
        inserted,
        updated,
        unchanged: rows.len() as u64 - inserted - updated,
    })
}

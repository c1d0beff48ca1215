//! The PostgreSQL write path, one transaction per batch. Rows are written in the order of the
//! unique key (tenant, ts, node, metric) — time first, so a batch lands at the index's right
//! edge (see migration 000012) — while the rollup and latest-value arithmetic runs over the
//! batch sorted by series (node, metric, ts):
//!
//! * **fresh data** (no stored reading of any of the batch's series inside the batch's time
//!   span — the common case of a bulk load or of live data moving forward): binary `COPY`
//!   straight into `readings`, with the hourly/daily rollup contributions and the latest
//!   values computed here and merged by two small set-based statements. A concurrent writer
//!   that stored the same keys first makes the `COPY` fail on the unique index; the batch
//!   then rolls back to a savepoint and takes the second path.
//! * **overlapping data**: `COPY` into a temporary staging table, then set-based statements
//!   that insert new rows (merging them into the rollups), update changed ones (changed
//!   hours are queued for the rollup refresh, since a replaced value cannot be merged) and
//!   move the latest values forward.

use super::{NewReading, WriteCounts};
use crate::storage::partitions;
use chrono::{DateTime, Utc};
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
    ORDER BY ts, node_id, metric
    ON CONFLICT (tenant_id, ts, node_id, metric) DO NOTHING
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
    WHERE r.tenant_id = $1 AND r.ts = s.ts AND r.node_id = s.node_id AND r.metric = s.metric
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

/// Does any stored reading of the batch's series fall inside that series' span in the batch?
/// One index range scan over the tenant's readings in the batch's time span (empty for fresh
/// data), matched against the batch's series by hash: a probe per series would rescan that
/// range once per series.
const OVERLAPS: &str = "
WITH stored AS MATERIALIZED (
    SELECT node_id, metric, ts FROM readings WHERE tenant_id = $5 AND ts >= $6 AND ts <= $7
)
SELECT EXISTS (
    SELECT 1 FROM stored r
    JOIN unnest($1::bigint[], $2::smallint[], $3::timestamptz[], $4::timestamptz[])
        AS s(node_id, metric, lo, hi)
      ON r.node_id = s.node_id AND r.metric = s.metric AND r.ts >= s.lo AND r.ts <= s.hi)";

/// Merges precomputed bucket contributions (`{table}` is a rollup table).
const MERGE_ROLLUP: &str = "
INSERT INTO {table}
    (tenant_id, node_id, metric, bucket, count, min_value, max_value, sum_value, last_ts, last_value)
SELECT $1::bigint, * FROM unnest($2::bigint[], $3::smallint[], $4::timestamptz[], $5::bigint[],
    $6::float8[], $7::float8[], $8::float8[], $9::timestamptz[], $10::float8[])
ON CONFLICT (node_id, metric, bucket) DO UPDATE SET
    count = {table}.count + EXCLUDED.count,
    min_value = LEAST({table}.min_value, EXCLUDED.min_value),
    max_value = GREATEST({table}.max_value, EXCLUDED.max_value),
    sum_value = {table}.sum_value + EXCLUDED.sum_value,
    last_value = CASE WHEN EXCLUDED.last_ts >= {table}.last_ts
                      THEN EXCLUDED.last_value ELSE {table}.last_value END,
    last_ts = GREATEST({table}.last_ts, EXCLUDED.last_ts)";

const MERGE_LATEST: &str = "
INSERT INTO latest_readings (tenant_id, node_id, metric, ts, value)
SELECT $1::bigint, * FROM unnest($2::bigint[], $3::smallint[], $4::timestamptz[], $5::float8[])
ON CONFLICT (node_id, metric) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value
WHERE EXCLUDED.ts >= latest_readings.ts";

/// `rows` must be unique per (node, metric, ts).
pub(super) async fn upsert(
    pool: &PgPool,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<WriteCounts, sqlx::Error> {
    let mut rows = rows.to_vec();
    rows.sort_unstable_by_key(|r| (r.node_id, r.metric.code(), r.ts));
    // (Series order for the arithmetic below; `copy_fresh` sends the rows in key order.)
    let rows = &rows[..];
    partitions::ensure_for(pool, rows.iter().map(|r| r.ts)).await?;
    let mut tx = pool.begin().await?;
    let series = Series::of(rows);
    let (overlaps,): (bool,) = sqlx::query_as(OVERLAPS)
        .bind(&series.node)
        .bind(&series.metric)
        .bind(&series.first_ts)
        .bind(&series.last_ts)
        .bind(tenant_id)
        .bind(series.first_ts.iter().min())
        .bind(series.last_ts.iter().max())
        .fetch_one(&mut *tx)
        .await?;
    if !overlaps {
        sqlx::query("SAVEPOINT fresh").execute(&mut *tx).await?;
        match copy_fresh(&mut tx, tenant_id, rows, &series).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(WriteCounts {
                    inserted: rows.len() as u64,
                    ..WriteCounts::default()
                });
            }
            Err(e) if is_unique_violation(&e) => {
                // A concurrent writer stored some of these keys first.
                sqlx::query("ROLLBACK TO SAVEPOINT fresh")
                    .execute(&mut *tx)
                    .await?;
            }
            Err(e) => return Err(e),
        }
    }
    staged(tx, tenant_id, rows).await
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "23505")
}

/// The fresh-data path: binary `COPY` into `readings`, then the rollups and latest values.
async fn copy_fresh(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    tenant_id: i64,
    rows: &[NewReading],
    series: &Series,
) -> Result<(), sqlx::Error> {
    let mut copy = tx
        .copy_in_raw(
            "COPY readings (tenant_id, node_id, metric, ts, value, quality) \
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + 128);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
                                                // Time first, like the key: each row goes to the index's right edge.
    let mut in_key_order: Vec<&NewReading> = rows.iter().collect();
    in_key_order.sort_unstable_by_key(|r| (r.ts, r.node_id, r.metric.code()));
    for r in in_key_order {
        buf.extend_from_slice(&6i16.to_be_bytes());
        field(&mut buf, &tenant_id.to_be_bytes());
        field(&mut buf, &r.node_id.to_be_bytes());
        field(&mut buf, &r.metric.code().to_be_bytes());
        field(&mut buf, &pg_micros(r.ts).to_be_bytes());
        field(&mut buf, &r.value.to_bits().to_be_bytes());
        field(&mut buf, &r.quality.to_be_bytes());
        if buf.len() >= COPY_CHUNK {
            copy.send(buf.as_slice()).await?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    copy.send(buf.as_slice()).await?;
    copy.finish().await?;
    for (table, width) in [("readings_hourly", 3_600), ("readings_daily", 86_400)] {
        let b = Buckets::of(rows, width);
        sqlx::query(&MERGE_ROLLUP.replace("{table}", table))
            .bind(tenant_id)
            .bind(b.node)
            .bind(b.metric)
            .bind(b.bucket)
            .bind(b.count)
            .bind(b.min)
            .bind(b.max)
            .bind(b.sum)
            .bind(b.last_ts)
            .bind(b.last_value)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(MERGE_LATEST)
        .bind(tenant_id)
        .bind(&series.node)
        .bind(&series.metric)
        .bind(&series.last_ts)
        .bind(&series.last_value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// PostgreSQL's binary timestamp: microseconds since 2000-01-01 00:00 UTC.
fn pg_micros(ts: DateTime<Utc>) -> i64 {
    const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
    ts.timestamp_micros() - PG_EPOCH_MICROS
}

/// Each (node, metric) series of a sorted batch: its span and last value.
#[derive(Default)]
struct Series {
    node: Vec<i64>,
    metric: Vec<i16>,
    first_ts: Vec<DateTime<Utc>>,
    last_ts: Vec<DateTime<Utc>>,
    last_value: Vec<f64>,
}

impl Series {
    fn of(sorted: &[NewReading]) -> Self {
        let mut s = Series::default();
        for group in sorted.chunk_by(|a, b| a.node_id == b.node_id && a.metric == b.metric) {
            let (first, last) = (group[0], group[group.len() - 1]);
            s.node.push(first.node_id);
            s.metric.push(first.metric.code());
            s.first_ts.push(first.ts);
            s.last_ts.push(last.ts);
            s.last_value.push(last.value);
        }
        s
    }
}

/// Rollup contributions of a sorted batch to buckets `width` seconds wide (UTC-aligned).
#[derive(Default)]
struct Buckets {
    node: Vec<i64>,
    metric: Vec<i16>,
    bucket: Vec<DateTime<Utc>>,
    count: Vec<i64>,
    min: Vec<f64>,
    max: Vec<f64>,
    sum: Vec<f64>,
    last_ts: Vec<DateTime<Utc>>,
    last_value: Vec<f64>,
}

impl Buckets {
    fn of(sorted: &[NewReading], width: i64) -> Self {
        let start = |r: &NewReading| r.ts.timestamp().div_euclid(width) * width;
        let mut b = Buckets::default();
        for group in sorted
            .chunk_by(|a, b| a.node_id == b.node_id && a.metric == b.metric && start(a) == start(b))
        {
            let last = group[group.len() - 1];
            b.node.push(last.node_id);
            b.metric.push(last.metric.code());
            b.bucket
                .push(DateTime::from_timestamp(start(&last), 0).unwrap_or_default());
            b.count.push(group.len() as i64);
            b.min
                .push(group.iter().map(|r| r.value).fold(f64::INFINITY, f64::min));
            b.max.push(
                group
                    .iter()
                    .map(|r| r.value)
                    .fold(f64::NEG_INFINITY, f64::max),
            );
            b.sum.push(group.iter().map(|r| r.value).sum());
            b.last_ts.push(last.ts);
            b.last_value.push(last.value);
        }
        b
    }
}

/// The overlapping-data path (see the module documentation).
async fn staged(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<WriteCounts, sqlx::Error> {
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

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

/// Inserts bucket contributions into the rollup `table`, merging them into buckets that
/// already exist. `rows` selects (tenant, node, metric, bucket, count, min, max, sum,
/// last_ts, last_value).
fn merge_rollup_sql(table: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {table}
    (tenant_id, node_id, metric, bucket, count, min_value, max_value, sum_value, last_ts, last_value)
{rows}
ON CONFLICT (node_id, metric, bucket) DO UPDATE SET
    count = {table}.count + EXCLUDED.count,
    min_value = LEAST({table}.min_value, EXCLUDED.min_value),
    max_value = GREATEST({table}.max_value, EXCLUDED.max_value),
    sum_value = {table}.sum_value + EXCLUDED.sum_value,
    last_value = CASE WHEN EXCLUDED.last_ts >= {table}.last_ts
                      THEN EXCLUDED.last_value ELSE {table}.last_value END,
    last_ts = GREATEST({table}.last_ts, EXCLUDED.last_ts)"
    )
}

/// Bucket contributions computed here, as arrays.
const UNNEST_BUCKETS: &str = "
SELECT $1::bigint, * FROM unnest($2::bigint[], $3::smallint[], $4::timestamptz[], $5::bigint[],
    $6::float8[], $7::float8[], $8::float8[], $9::timestamptz[], $10::float8[])";

pub(super) const MERGE_LATEST: &str = "
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
    let copy = tx
        .copy_in_raw(
            "COPY readings (tenant_id, node_id, metric, ts, value, quality) \
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    // Time first, like the key: each row goes to the index's right edge.
    let mut in_key_order: Vec<&NewReading> = rows.iter().collect();
    in_key_order.sort_unstable_by_key(|r| (r.ts, r.node_id, r.metric.code()));
    send_binary(copy, tenant_id, in_key_order.into_iter()).await?;
    for (table, width) in [("readings_hourly", 3_600), ("readings_daily", 86_400)] {
        let b = Buckets::of(rows, width);
        sqlx::query(&merge_rollup_sql(table, UNNEST_BUCKETS))
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

/// Sends `rows` through a `COPY readings-like-table (tenant_id, node_id, metric, ts, value,
/// quality) FROM STDIN (FORMAT binary)` and finishes it.
pub(super) async fn send_binary<'r>(
    mut copy: sqlx::postgres::PgCopyIn<&mut sqlx::PgConnection>,
    tenant_id: i64,
    rows: impl Iterator<Item = &'r NewReading>,
) -> Result<(), sqlx::Error> {
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + 128);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    for r in rows {
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
    Ok(())
}

/// Sends rollup contributions through a binary `COPY … FROM STDIN` into a table with the
/// rollup columns (led by `tenant_id` when it is given) and finishes it.
pub(super) async fn send_buckets(
    mut copy: sqlx::postgres::PgCopyIn<&mut sqlx::PgConnection>,
    tenant_id: Option<i64>,
    buckets: &[Bucket],
) -> Result<(), sqlx::Error> {
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + 128);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes());
    buf.extend_from_slice(&0i32.to_be_bytes());
    let fields: i16 = if tenant_id.is_some() { 10 } else { 9 };
    for b in buckets {
        buf.extend_from_slice(&fields.to_be_bytes());
        if let Some(t) = tenant_id {
            field(&mut buf, &t.to_be_bytes());
        }
        field(&mut buf, &b.node_id.to_be_bytes());
        field(&mut buf, &b.metric.to_be_bytes());
        field(&mut buf, &pg_micros(b.start()).to_be_bytes());
        field(&mut buf, &b.count.to_be_bytes());
        field(&mut buf, &b.min.to_bits().to_be_bytes());
        field(&mut buf, &b.max.to_bits().to_be_bytes());
        field(&mut buf, &b.sum.to_bits().to_be_bytes());
        field(&mut buf, &pg_micros(b.last_ts).to_be_bytes());
        field(&mut buf, &b.last_value.to_bits().to_be_bytes());
        if buf.len() >= COPY_CHUNK {
            copy.send(buf.as_slice()).await?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    copy.send(buf.as_slice()).await?;
    copy.finish().await?;
    Ok(())
}

pub(super) fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// PostgreSQL's binary timestamp: microseconds since 2000-01-01 00:00 UTC.
pub(super) fn pg_micros(ts: DateTime<Utc>) -> i64 {
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

/// Rollup contributions of a sorted batch to buckets `width` seconds wide (UTC-aligned), as
/// arrays for `UNNEST_BUCKETS`.
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
        let mut b = Buckets::default();
        for c in Bucket::all(sorted, width) {
            b.node.push(c.node_id);
            b.metric.push(c.metric);
            b.bucket.push(c.start());
            b.count.push(c.count);
            b.min.push(c.min);
            b.max.push(c.max);
            b.sum.push(c.sum);
            b.last_ts.push(c.last_ts);
            b.last_value.push(c.last_value);
        }
        b
    }
}

/// One series' contribution to one rollup bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Bucket {
    pub node_id: i64,
    pub metric: i16,
    /// Bucket start, seconds since the epoch.
    pub start: i64,
    pub count: i64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub last_ts: DateTime<Utc>,
    pub last_value: f64,
}

impl Bucket {
    /// The contributions of a batch sorted by (node, metric, ts), in that order.
    pub fn all(sorted: &[NewReading], width: i64) -> impl Iterator<Item = Bucket> + '_ {
        let start = move |r: &NewReading| r.ts.timestamp().div_euclid(width) * width;
        sorted
            .chunk_by(move |a, b| {
                a.node_id == b.node_id && a.metric == b.metric && start(a) == start(b)
            })
            .map(move |group| {
                let last = group[group.len() - 1];
                Bucket {
                    node_id: last.node_id,
                    metric: last.metric.code(),
                    start: start(&last),
                    count: group.len() as i64,
                    min: group.iter().map(|r| r.value).fold(f64::INFINITY, f64::min),
                    max: group
                        .iter()
                        .map(|r| r.value)
                        .fold(f64::NEG_INFINITY, f64::max),
                    sum: group.iter().map(|r| r.value).sum(),
                    last_ts: last.ts,
                    last_value: last.value,
                }
            })
    }

    pub fn start(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.start, 0).unwrap_or_default()
    }

    /// Adds another contribution to the same bucket.
    pub fn merge(&mut self, other: &Bucket) {
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        if other.last_ts >= self.last_ts {
            self.last_ts = other.last_ts;
            self.last_value = other.last_value;
        }
    }
}

/// The overlapping-data path (see the module documentation).
async fn staged(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    tenant_id: i64,
    rows: &[NewReading],
) -> Result<WriteCounts, sqlx::Error> {
    create_staging(&mut tx).await?;
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
    let lo = rows.iter().map(|r| r.ts).min();
    let hi = rows.iter().map(|r| r.ts).max();
    let counts = apply_staging(&mut tx, tenant_id, lo, hi, rows.len() as u64).await?;
    tx.commit().await?;
    Ok(counts)
}

/// The per-session staging table of the overlapping-data path (emptied at every commit).
pub(super) async fn create_staging(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS readings_staging (
            node_id BIGINT NOT NULL, metric SMALLINT NOT NULL, ts TIMESTAMPTZ NOT NULL,
            value DOUBLE PRECISION NOT NULL, quality INTEGER NOT NULL
        ) ON COMMIT DELETE ROWS",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Applies the `staged` rows of `readings_staging` (unique per key, between `lo` and `hi`):
/// new rows inserted and merged into the rollups, changed ones replaced and queued for the
/// rollup refresh, latest values moved forward.
pub(super) async fn apply_staging(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    tenant_id: i64,
    lo: Option<DateTime<Utc>>,
    hi: Option<DateTime<Utc>>,
    staged: u64,
) -> Result<WriteCounts, sqlx::Error> {
    let (inserted,): (i64,) = sqlx::query_as(INSERT_NEW)
        .bind(tenant_id)
        .fetch_one(&mut **tx)
        .await?;
    let mut updated: i64 = 0;
    if (inserted as u64) < staged {
        // Statistics on the staging table steer the planner to index probes.
        sqlx::query("ANALYZE readings_staging")
            .execute(&mut **tx)
            .await?;
        (updated,) = sqlx::query_as(UPDATE_CHANGED)
            .bind(tenant_id)
            .bind(lo)
            .bind(hi)
            .fetch_one(&mut **tx)
            .await?;
    }
    sqlx::query(LATEST)
        .bind(tenant_id)
        .execute(&mut **tx)
        .await?;
    let (inserted, updated) = (inserted as u64, updated as u64);
    Ok(WriteCounts {
        inserted,
        updated,
        unchanged: staged - inserted - updated,
    })
}

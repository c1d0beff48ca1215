//! Hourly and daily rollups (count, min, max, sum, last) of `readings`, refreshed
//! incrementally: writers queue the hours they touched in `rollup_dirty`; the refresh
//! recomputes exactly those hours from raw rows and the days that contain them from the
//! hours, then clears the queue entries it saw — in one transaction.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::DeriveIden;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, IsolationLevel, Statement,
    TransactionTrait,
};

/// The queue of hours waiting for the refresh.
#[derive(DeriveIden, Clone, Copy)]
pub enum RollupDirty {
    Table,
    TenantId,
    NodeId,
    Metric,
    Hour,
}

/// The start of the UTC hour holding `ts`.
pub fn hour_of(ts: DateTime<Utc>) -> DateTime<Utc> {
    ts.duration_trunc(TimeDelta::hours(1)).unwrap_or(ts)
}

// PostgreSQL recomputes, per (node, metric), the whole span between its first and last
// queued hour: a bulk import queues millions of hours, and range scans beat an index probe per
// hour. Contiguous writes (the normal case) make the span exactly the queued hours; a
// scattered correction recomputes a few more, with the same result. The readings' key leads
// with (tenant, ts), so the spans of a tenant are merged into disjoint time ranges ("islands")
// and each range is scanned once, its rows matched to the spans by hash — one scan per series
// would read the whole tenant's range once per series.
// `max(ARRAY[epoch, value])[2]` is the value at the latest time without sorting each group.
const PG_HOURLY: &str = "
WITH spans AS (
    SELECT tenant_id, node_id, metric, min(hour) AS lo, max(hour) + INTERVAL '1 hour' AS hi
    FROM rollup_dirty GROUP BY tenant_id, node_id, metric
), marked AS (
    SELECT tenant_id, lo, hi,
           CASE WHEN lo <= max(hi) OVER (PARTITION BY tenant_id ORDER BY lo, hi
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS starts
    FROM spans
), islands AS (
    SELECT tenant_id, lo, hi,
           sum(starts) OVER (PARTITION BY tenant_id ORDER BY lo, hi ROWS UNBOUNDED PRECEDING)
               AS island
    FROM marked
), ranges AS (
    SELECT tenant_id, min(lo) AS lo, max(hi) AS hi FROM islands GROUP BY tenant_id, island
)
INSERT INTO readings_hourly
    (tenant_id, node_id, metric, bucket, count, min_value, max_value, sum_value, last_ts, last_value)
SELECT r.tenant_id, r.node_id, r.metric, date_trunc('hour', r.ts, 'UTC'), count(*), min(r.value),
       max(r.value), sum(r.value), max(r.ts),
       (max(ARRAY[extract(epoch FROM r.ts)::float8, r.value]))[2]
FROM ranges g
JOIN readings r ON r.tenant_id = g.tenant_id AND r.ts >= g.lo AND r.ts < g.hi
JOIN spans s ON s.tenant_id = r.tenant_id AND s.node_id = r.node_id AND s.metric = r.metric
     AND r.ts >= s.lo AND r.ts < s.hi
GROUP BY r.tenant_id, r.node_id, r.metric, date_trunc('hour', r.ts, 'UTC')
ON CONFLICT (node_id, metric, bucket) DO UPDATE SET
    count = EXCLUDED.count, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value,
    sum_value = EXCLUDED.sum_value, last_ts = EXCLUDED.last_ts, last_value = EXCLUDED.last_value";

const PG_DAILY: &str = "
WITH spans AS (
    SELECT node_id, metric, date_trunc('day', min(hour), 'UTC') AS lo,
           date_trunc('day', max(hour), 'UTC') + INTERVAL '1 day' AS hi
    FROM rollup_dirty GROUP BY node_id, metric
)
INSERT INTO readings_daily
    (tenant_id, node_id, metric, bucket, count, min_value, max_value, sum_value, last_ts, last_value)
SELECT h.tenant_id, h.node_id, h.metric, date_trunc('day', h.bucket, 'UTC'), sum(h.count),
       min(h.min_value), max(h.max_value), sum(h.sum_value), max(h.last_ts),
       (max(ARRAY[extract(epoch FROM h.last_ts)::float8, h.last_value]))[2]
FROM spans s
JOIN readings_hourly h ON h.node_id = s.node_id AND h.metric = s.metric
     AND h.bucket >= s.lo AND h.bucket < s.hi
GROUP BY h.tenant_id, h.node_id, h.metric, date_trunc('day', h.bucket, 'UTC')
ON CONFLICT (node_id, metric, bucket) DO UPDATE SET
    count = EXCLUDED.count, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value,
    sum_value = EXCLUDED.sum_value, last_ts = EXCLUDED.last_ts, last_value = EXCLUDED.last_value";

// SQLite stores timestamps as RFC 3339 text ("2026-03-04T10:00:00+00:00"), which is what
// strftime below produces, so buckets compare and conflict as equal strings. A bare column
// next to max() takes its value from the row holding the maximum (documented SQLite rule).
// CROSS JOIN fixes the join order (queue outside, index probes inside): left to itself the
// planner may scan the readings table once per queued hour.
const SQLITE_HOURLY: &str = "
INSERT INTO readings_hourly
    (tenant_id, node_id, metric, bucket, count, min_value, max_value, sum_value, last_ts, last_value)
SELECT tenant_id, node_id, metric, hour, count, min_value, max_value, sum_value, last_ts, last_value
FROM (
    SELECT r.tenant_id, r.node_id, r.metric, d.hour, count(*) AS count, min(r.value) AS min_value,
           max(r.value) AS max_value, sum(r.value) AS sum_value, max(r.ts) AS last_ts,
           r.value AS last_value
    FROM rollup_dirty d
    CROSS JOIN readings r ON r.node_id = d.node_id AND r.metric = d.metric
         AND r.ts >= d.hour AND r.ts < strftime('%Y-%m-%dT%H:%M:%S+00:00', d.hour, '+1 hour')
    GROUP BY r.tenant_id, r.node_id, r.metric, d.hour
) WHERE true
ON CONFLICT (node_id, metric, bucket) DO UPDATE SET
    count = excluded.count, min_value = excluded.min_value, max_value = excluded.max_value,
    sum_value = excluded.sum_value, last_ts = excluded.last_ts, last_value = excluded.last_value";

const SQLITE_DAILY: &str = "
INSERT INTO readings_daily
    (tenant_id, node_id, metric, bucket, count, min_value, max_value, sum_value, last_ts, last_value)
SELECT tenant_id, node_id, metric, day, count, min_value, max_value, sum_value, last_ts, last_value
FROM (
    SELECT h.tenant_id, h.node_id, h.metric, d.day, sum(h.count) AS count,
           min(h.min_value) AS min_value, max(h.max_value) AS max_value,
           sum(h.sum_value) AS sum_value, max(h.last_ts) AS last_ts, h.last_value AS last_value
    FROM (SELECT DISTINCT node_id, metric, strftime('%Y-%m-%dT00:00:00+00:00', hour) AS day
          FROM rollup_dirty) d
    CROSS JOIN readings_hourly h ON h.node_id = d.node_id AND h.metric = d.metric
         AND h.bucket >= d.day AND h.bucket < strftime('%Y-%m-%dT%H:%M:%S+00:00', d.day, '+1 day')
    GROUP BY h.tenant_id, h.node_id, h.metric, d.day
) WHERE true
ON CONFLICT (node_id, metric, bucket) DO UPDATE SET
    count = excluded.count, min_value = excluded.min_value, max_value = excluded.max_value,
    sum_value = excluded.sum_value, last_ts = excluded.last_ts, last_value = excluded.last_value";

/// Recomputes every queued hour and its day; returns how many hours were refreshed.
///
/// Runs under REPEATABLE READ on PostgreSQL, so the final DELETE removes only the queue
/// entries this refresh saw: hours queued meanwhile by concurrent writers stay queued.
pub async fn refresh(db: &DatabaseConnection) -> Result<u64, DbErr> {
    // A writer merging into a bucket this refresh rewrites makes PostgreSQL abort the refresh
    // (serialization failure) rather than lose either change; the queue is intact, so retry.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match refresh_once(db).await {
            Err(e) if attempt < 4 => {
                tracing::debug!(error = %e, attempt, "rollup refresh retried");
                tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
            }
            other => return other,
        }
    }
}

async fn refresh_once(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let (hourly, daily) = match backend {
        DbBackend::Postgres => (PG_HOURLY, PG_DAILY),
        _ => (SQLITE_HOURLY, SQLITE_DAILY),
    };
    // SQLite serialises writers anyway (and rejects the setting).
    let isolation = (backend == DbBackend::Postgres).then_some(IsolationLevel::RepeatableRead);
    let (_writer, txn) = match backend {
        DbBackend::Sqlite => crate::storage::begin_write(db).await?,
        _ => (None, db.begin_with_config(isolation, None).await?),
    };
    txn.execute(Statement::from_string(backend, hourly)).await?;
    txn.execute(Statement::from_string(backend, daily)).await?;
    let cleared = txn
        .execute(Statement::from_string(backend, "DELETE FROM rollup_dirty"))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(cleared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_truncate_in_utc() {
        let ts: DateTime<Utc> = "2026-03-04T10:59:59Z".parse().unwrap();
        assert_eq!(hour_of(ts).to_rfc3339(), "2026-03-04T10:00:00+00:00");
    }
}

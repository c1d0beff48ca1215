//! The end of a bulk load: keys built, months attached (or applied through the ordinary
//! path), late rows upserted; and the clean-up of tables left by interrupted loads.

use super::super::pg::{self, Bucket};
use super::super::{NewReading, WriteCounts};
use super::{load, Conns, KeyTask, Lane, Loading, MARK};
use crate::storage::partitions::{
    self, hourly_partition_name, month_start, next_month, partition_name,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::BTreeMap;

/// Drops the tables that loads no longer running committed and never attached (an import
/// interrupted after a month was complete); returns how many. A load is running while its
/// transaction is in progress; a mark naming a transaction this server has not reached
/// comes from another server (a restored dump) and is stale too.
pub async fn drop_orphans(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let orphans: Vec<(String,)> = sqlx::query_as(
        "SELECT format('%I.%I', nspname, relname) FROM (
             SELECT n.nspname, c.relname,
                    substring(d.description FROM '[0-9]+$')::xid8 AS owner
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
                 AND d.objsubid = 0
             WHERE c.relkind = 'r' AND NOT c.relispartition
               AND d.description ~ ('^' || $1 || '[0-9]+$')
         ) marked
         WHERE CASE WHEN owner >= pg_snapshot_xmax(pg_current_snapshot()) THEN true
                    ELSE pg_xact_status(owner) IS DISTINCT FROM 'in progress' END",
    )
    .bind(MARK)
    .fetch_all(pool)
    .await?;
    for (table,) in &orphans {
        sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
            .execute(pool)
            .await?;
    }
    if !orphans.is_empty() {
        tracing::info!(
            tables = orphans.len(),
            "dropped tables of interrupted bulk loads"
        );
    }
    Ok(orphans.len() as u64)
}

/// What is left to do when the last batch has loaded.
pub(super) struct End {
    pub(super) tenant_id: i64,
    pub(super) loading: Vec<(NaiveDate, Loading)>,
    /// Hourly contributions for the load's own transaction; false when a series went back
    /// in time (an hour may then have several).
    pub(super) hourly: (Vec<(NaiveDate, String, Vec<Bucket>)>, bool),
    pub(super) daily: (Vec<Bucket>, bool),
    pub(super) keying: Vec<KeyTask>,
    pub(super) late: u64,
}

pub(super) async fn complete(
    tx: Transaction<'static, Postgres>,
    end: End,
    latest: &[NewReading],
) -> Result<WriteCounts, sqlx::Error> {
    let tenant_id = end.tenant_id;
    if end.loading.is_empty() {
        tx.commit().await?;
        return Ok(WriteCounts::default());
    }
    let mut conns = Conns {
        main: tx,
        own: BTreeMap::new(),
    };
    load(
        &mut conns,
        tenant_id,
        Vec::new(),
        end.hourly.0,
        end.daily.0,
        Vec::new(),
    )
    .await?;
    let mut tx = conns.main;
    sqlx::query("SAVEPOINT bulk").execute(&mut *tx).await?;
    let started = std::time::Instant::now();
    // The months of this transaction get their keys while the others finish theirs.
    let main: Vec<&Loading> = end
        .loading
        .iter()
        .map(|(_, l)| l)
        .filter(|l| l.lane == Lane::Main)
        .collect();
    let mut attachable = settled(build_keys(&mut tx, &main, end.hourly.1).await)?;
    for task in end.keying {
        let keyed = task
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("bulk loader stopped: {e}")))??;
        attachable &= keyed;
    }
    let keys = started.elapsed();
    if attachable {
        attachable = settled(attach(&mut tx, tenant_id, &end.loading, end.daily.1).await)?;
    }
    let mut counts = if attachable {
        WriteCounts {
            inserted: end.loading.iter().map(|(_, l)| l.rows).sum(),
            ..WriteCounts::default()
        }
    } else {
        tracing::warn!("bulk load not attachable; applying it row by row");
        sqlx::query("ROLLBACK TO SAVEPOINT bulk")
            .execute(&mut *tx)
            .await?;
        fallback(&mut tx, tenant_id, &end.loading).await?
    };
    if end.late > 0 {
        counts += apply_late(&mut tx, tenant_id, end.late).await?;
    }
    let mut series = latest.to_vec();
    series.sort_unstable_by_key(|r| (r.node_id, r.metric.code()));
    sqlx::query(pg::MERGE_LATEST)
        .bind(tenant_id)
        .bind(series.iter().map(|r| r.node_id).collect::<Vec<_>>())
        .bind(series.iter().map(|r| r.metric.code()).collect::<Vec<_>>())
        .bind(series.iter().map(|r| r.ts).collect::<Vec<_>>())
        .bind(series.iter().map(|r| r.value).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(
        inserted = counts.inserted,
        updated = counts.updated,
        keys_s = keys.as_secs_f64(),
        finished_s = started.elapsed().as_secs_f64(),
        "bulk load: months stored"
    );
    Ok(counts)
}

/// `Ok(false)` for a database's refusal (a repeated key, a partition created meanwhile):
/// the load then takes the ordinary path. Other errors stop it.
fn settled(r: Result<(), sqlx::Error>) -> Result<bool, sqlx::Error> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.as_database_error().is_some() => {
            tracing::warn!(error = %e, "bulk load: months cannot be attached");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Builds the keys of months' tables by sorting (a repeated key fails here), after merging
/// hourly contributions that repeat an hour when series went back in time.
async fn build_keys(
    conn: &mut sqlx::PgConnection,
    months: &[&Loading],
    hourly_ordered: bool,
) -> Result<(), sqlx::Error> {
    // Room for the sorts that build each key and order the rollup rows.
    sqlx::query("SET LOCAL maintenance_work_mem = '512MB'")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET LOCAL work_mem = '256MB'")
        .execute(&mut *conn)
        .await?;
    for l in months {
        if !hourly_ordered {
            sqlx::query(&format!(
                "WITH parts AS (DELETE FROM {0} RETURNING *)
                 INSERT INTO {0} SELECT tenant_id, node_id, metric, bucket, sum(count),
                     min(min_value), max(max_value), sum(sum_value), max(last_ts),
                     (max(ARRAY[extract(epoch FROM last_ts)::float8, last_value]))[2]
                 FROM parts GROUP BY tenant_id, node_id, metric, bucket",
                l.hourly
            ))
            .execute(&mut *conn)
            .await?;
        }
        for sql in [
            format!(
                "ALTER TABLE {0} ADD CONSTRAINT {0}_pkey PRIMARY KEY (tenant_id, ts, node_id, metric)",
                l.table
            ),
            format!(
                "ALTER TABLE {0} ADD CONSTRAINT {0}_pkey PRIMARY KEY (node_id, metric, bucket)",
                l.hourly
            ),
        ] {
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// A month complete on its own connection: its last hourly contributions, its keys, and the
/// commit. Without keys (a repeated key) the tables are still committed, for the ordinary
/// path; `Ok(false)` then.
pub(super) async fn key_own(
    mut tx: Transaction<'static, Postgres>,
    tenant_id: i64,
    table: &str,
    hourly: &str,
    buckets: &[Bucket],
    hourly_ordered: bool,
) -> Result<bool, sqlx::Error> {
    if !buckets.is_empty() {
        let copy = tx
            .copy_in_raw(&format!("COPY {hourly} FROM STDIN (FORMAT binary, FREEZE)"))
            .await?;
        pg::send_buckets(copy, Some(tenant_id), buckets).await?;
    }
    sqlx::query("SAVEPOINT keys").execute(&mut *tx).await?;
    let loading = Loading {
        table: table.to_string(),
        hourly: hourly.to_string(),
        rows: 0,
        lane: Lane::Done,
    };
    let keyed = settled(build_keys(&mut tx, &[&loading], hourly_ordered).await)?;
    if !keyed {
        sqlx::query("ROLLBACK TO SAVEPOINT keys")
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(keyed)
}

/// The fast path, once every month has its keys: daily rollups merged, tables attached as
/// partitions.
async fn attach(
    tx: &mut Transaction<'static, Postgres>,
    tenant_id: i64,
    loading: &[(NaiveDate, Loading)],
    daily_ordered: bool,
) -> Result<(), sqlx::Error> {
    let started = std::time::Instant::now();
    // Daily rollups before the attach (attaching locks the default partitions until the
    // commit). A plain insert: these days cannot have rows yet (their month had no
    // partition); if another session stored some meanwhile, the key refuses and the load
    // falls back to the ordinary path.
    let rows = if daily_ordered {
        "SELECT $1::bigint, * FROM bulk_daily ORDER BY node_id, metric, bucket"
    } else {
        "SELECT $1::bigint, node_id, metric, bucket, sum(count), min(min_value),
                max(max_value), sum(sum_value), max(last_ts),
                (max(ARRAY[extract(epoch FROM last_ts)::float8, last_value]))[2]
         FROM bulk_daily GROUP BY node_id, metric, bucket ORDER BY node_id, metric, bucket"
    };
    sqlx::query(&format!(
        "INSERT INTO readings_daily (tenant_id, node_id, metric, bucket, count, min_value,
            max_value, sum_value, last_ts, last_value) {rows}"
    ))
    .bind(tenant_id)
    .execute(&mut **tx)
    .await?;
    partitions::lock_partitions(tx).await?;
    tracing::info!(
        daily_s = started.elapsed().as_secs_f64(),
        "bulk load: daily rollups merged"
    );
    for (month, l) in loading {
        for (parent, table, name) in [
            ("readings", &l.table, partition_name(*month)),
            ("readings_hourly", &l.hourly, hourly_partition_name(*month)),
        ] {
            for sql in [
                format!(
                    "ALTER TABLE {parent} ATTACH PARTITION {table} FOR VALUES FROM ('{}') TO ('{}')",
                    month_start(*month),
                    month_start(next_month(*month))
                ),
                format!("ALTER TABLE {table} DROP CONSTRAINT {table}_month"),
                format!("COMMENT ON TABLE {table} IS NULL"),
                format!("ALTER TABLE {table} RENAME TO {name}"),
                format!("ALTER INDEX {table}_pkey RENAME TO {name}_pkey"),
            ] {
                sqlx::query(&sql).execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
}

/// Rows given for months already complete when they came: upserted like the ordinary path
/// does (the last one given for a key wins), now that their months are stored.
async fn apply_late(
    tx: &mut Transaction<'static, Postgres>,
    tenant_id: i64,
    late: u64,
) -> Result<WriteCounts, sqlx::Error> {
    pg::create_staging(tx).await?;
    sqlx::query("TRUNCATE readings_staging")
        .execute(&mut **tx)
        .await?;
    // A temporary heap filled by appends only: physical order is arrival order.
    let distinct = sqlx::query(
        "INSERT INTO readings_staging (node_id, metric, ts, value, quality)
         SELECT DISTINCT ON (node_id, metric, ts) node_id, metric, ts, value, quality
         FROM bulk_late ORDER BY node_id, metric, ts, ctid DESC",
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let (lo, hi): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT min(ts), max(ts) FROM bulk_late")
            .fetch_one(&mut **tx)
            .await?;
    let mut counts = pg::apply_staging(tx, tenant_id, lo, hi, distinct).await?;
    counts.unchanged += late - distinct;
    Ok(counts)
}

/// The slow path: each loaded month goes through the ordinary upsert (in load order, so the
/// last row of a repeated key wins), then its load table is dropped.
async fn fallback(
    tx: &mut Transaction<'static, Postgres>,
    tenant_id: i64,
    loading: &[(NaiveDate, Loading)],
) -> Result<WriteCounts, sqlx::Error> {
    pg::create_staging(tx).await?;
    partitions::lock_partitions(tx).await?;
    let mut counts = WriteCounts::default();
    for (month, l) in loading {
        partitions::create_month(tx, *month).await?;
        sqlx::query("TRUNCATE readings_staging")
            .execute(&mut **tx)
            .await?;
        // A fresh heap filled by appends only: physical order is load order.
        let distinct = sqlx::query(&format!(
            "INSERT INTO readings_staging (node_id, metric, ts, value, quality)
             SELECT DISTINCT ON (node_id, metric, ts) node_id, metric, ts, value, quality
             FROM {} ORDER BY node_id, metric, ts, ctid DESC",
            l.table
        ))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        let lo: DateTime<Utc> = month.and_time(chrono::NaiveTime::MIN).and_utc();
        let hi: DateTime<Utc> = next_month(*month)
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        counts += pg::apply_staging(tx, tenant_id, Some(lo), Some(hi), distinct).await?;
        counts.unchanged += l.rows - distinct;
        sqlx::query(&format!("DROP TABLE {}, {}", l.table, l.hourly))
            .execute(&mut **tx)
            .await?;
    }
    Ok(counts)
}

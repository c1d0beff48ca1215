//! Bulk loads of whole months (PostgreSQL with monthly partitions). A month that has no
//! partition yet holds no readings and no rollups (partitions are never dropped: retention
//! deletes rows), so an import loads its rows into a plain table of its own — no key to
//! maintain row by row, no overlap to probe — and the hourly rollups it computes while
//! loading into another (`readings_hourly` is partitioned alike, migration 000014), builds
//! both keys once by sorting, inserts the few daily rollups, and attaches the two tables as
//! the month's partitions.
//! Maintaining the unique key row by row costs about as much as the append itself; building
//! it once at the end costs a fraction of that (BENCHMARKS.md).
//!
//! Everything happens in one transaction on one connection: other sessions see the months
//! appear complete at commit, and an interrupted import leaves nothing of them behind (rerun
//! it). When the attach cannot happen — another session created the month's partition
//! meanwhile, or the file repeats a key across batches — the transaction rolls back to before
//! the attach and applies the loaded rows through the ordinary upsert path (for a repeated
//! key the row loaded last wins, as in the ordinary path).

use super::pg::{self, Bucket};
use super::{NewReading, WriteCounts};
use crate::storage::partitions::{
    self, hourly_partition_name, month_of, month_start, next_month, partition_name,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use sqlx::{Postgres, Transaction};
use std::collections::{BTreeMap, HashMap};

mod contributions;

use contributions::Contributions;

/// An import's load of the months that had no partition when it first met them.
pub struct BulkLoad {
    tx: Option<Transaction<'static, Postgres>>,
    tenant_id: i64,
    /// Unique among live sessions (the backend's process id), so concurrent loads of the
    /// same month use different tables.
    tag: i32,
    /// Every month met so far: `None` when it already had a partition (ordinary path).
    months: BTreeMap<NaiveDate, Option<Loading>>,
    hourly: Contributions,
    daily: Contributions,
    latest: HashMap<(i64, i16), NewReading>,
    /// Rows repeated within a batch (the last one was kept).
    repeated: u64,
    /// The batch being loaded (its task holds the transaction meanwhile).
    in_flight: Option<Loader>,
    /// Time spent preparing batches here and waiting for the database to load them.
    prepared: std::time::Duration,
    loaded: std::time::Duration,
}

type Loader = tokio::task::JoinHandle<(Transaction<'static, Postgres>, Result<(), sqlx::Error>)>;

struct Loading {
    /// The month's readings, and its hourly rollups.
    table: String,
    hourly: String,
    rows: u64,
}

/// What a finished bulk load stored.
#[derive(Debug, Default)]
pub struct Finished {
    /// Counted like the ordinary path counts them.
    pub counts: WriteCounts,
    /// The newest stored reading of each series it loaded.
    pub latest: Vec<NewReading>,
}

/// Of rows sorted by key with a stable sort, the last of each key (the last one given).
fn last_in_runs(sorted: Vec<NewReading>) -> Vec<NewReading> {
    let mut out: Vec<NewReading> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(l) if (l.node_id, l.metric, l.ts) == (r.node_id, r.metric, r.ts) => *l = r,
            _ => out.push(r),
        }
    }
    out
}

fn db_err(e: sqlx::Error) -> DbErr {
    DbErr::Custom(format!("PostgreSQL bulk load: {e}"))
}

fn aborted() -> DbErr {
    DbErr::Custom("PostgreSQL bulk load: an earlier step failed".into())
}

impl BulkLoad {
    /// Starts a load for `tenant_id`; `None` where it does not apply (SQLite, TimescaleDB).
    pub async fn start(db: &DatabaseConnection, tenant_id: i64) -> Result<Option<Self>, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let mut tx = db
            .get_postgres_connection_pool()
            .begin()
            .await
            .map_err(db_err)?;
        if !partitions::is_partitioned(&mut tx).await.map_err(db_err)? {
            return Ok(None);
        }
        // Daily rollups are few (one per series and day): gathered here, inserted at the end.
        sqlx::query(
            "CREATE TEMP TABLE bulk_daily (node_id BIGINT, metric SMALLINT, bucket TIMESTAMPTZ,
                count BIGINT, min_value DOUBLE PRECISION, max_value DOUBLE PRECISION,
                sum_value DOUBLE PRECISION, last_ts TIMESTAMPTZ, last_value DOUBLE PRECISION)
             ON COMMIT DROP",
        )
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let (tag,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        Ok(Some(Self {
            tx: Some(tx),
            tenant_id,
            tag,
            months: BTreeMap::new(),
            hourly: Contributions::new(3_600),
            daily: Contributions::new(86_400),
            latest: HashMap::new(),
            repeated: 0,
            in_flight: None,
            prepared: std::time::Duration::ZERO,
            loaded: std::time::Duration::ZERO,
        }))
    }

    /// Rows taken so far (stored at [`BulkLoad::finish`]).
    pub fn pending(&self) -> u64 {
        self.repeated + self.months.values().flatten().map(|l| l.rows).sum::<u64>()
    }

    /// Loads the rows of `rows` whose month is bulk loaded and gives back the others, for
    /// the ordinary path.
    pub async fn take(&mut self, rows: Vec<NewReading>) -> Result<Vec<NewReading>, DbErr> {
        let mut new_months: Vec<NaiveDate> = rows
            .iter()
            .map(|r| month_of(r.ts))
            .filter(|m| !self.months.contains_key(m))
            .collect();
        new_months.sort_unstable();
        new_months.dedup();
        let result = if new_months.is_empty() {
            Ok(Vec::new())
        } else {
            self.settle().await?;
            let mut tx = self.tx.take().ok_or_else(aborted)?;
            let tag = self.tag;
            // The statements run in their own task, so a cancelled caller cannot leave the
            // connection in the middle of a statement; the transaction comes back afterwards.
            let (tx, result) = tokio::spawn(async move {
                let r = open_months(&mut tx, tag, new_months).await;
                (tx, r)
            })
            .await
            .map_err(|e| DbErr::Custom(format!("bulk loader stopped: {e}")))?;
            self.tx = Some(tx);
            result
        };
        self.months.extend(result.map_err(db_err)?);
        let (mut mine, rest): (Vec<NewReading>, Vec<NewReading>) = rows
            .into_iter()
            .partition(|r| matches!(self.months.get(&month_of(r.ts)), Some(Some(_))));
        if mine.is_empty() {
            return Ok(rest);
        }
        let started = std::time::Instant::now();
        let given = mine.len();
        // Rows in the table's key order (time first; the usual order of a file) hold no
        // repeated key and go to the tables as they are; others are deduplicated and sorted.
        let key = |r: &NewReading| (r.ts, r.node_id, r.metric.code());
        let in_key_order = mine.windows(2).all(|w| key(&w[0]) < key(&w[1]));
        let mut series = mine.clone();
        // Stable: of rows repeating a key, the last one given comes last and is kept.
        series.sort_by_key(|r| (r.node_id, r.metric.code(), r.ts));
        if !in_key_order {
            series = last_in_runs(series);
        }
        let repeated = (given - series.len()) as u64;
        self.hourly.add(&series);
        self.daily.add(&series);
        for group in series.chunk_by(|a, b| a.node_id == b.node_id && a.metric == b.metric) {
            let last = group[group.len() - 1];
            let slot = self
                .latest
                .entry((last.node_id, last.metric.code()))
                .or_insert(last);
            if last.ts >= slot.ts {
                *slot = last;
            }
        }
        // Time first, like the key the table will get.
        if !in_key_order {
            mine = series;
            mine.sort_unstable_by_key(key);
        }
        let mut per_table: Vec<(String, Vec<NewReading>)> = Vec::new();
        for chunk in mine.chunk_by(|a, b| month_of(a.ts) == month_of(b.ts)) {
            if let Some(Some(loading)) = self.months.get_mut(&month_of(chunk[0].ts)) {
                loading.rows += chunk.len() as u64;
                per_table.push((loading.table.clone(), chunk.to_vec()));
            }
        }
        let done = self.hourly.drain();
        let hourly = self.per_month(done);
        let daily = self.daily.drain();
        self.prepared += started.elapsed();
        // The previous batch was loading while this one was prepared; this one loads while
        // the caller goes on.
        self.settle().await?;
        let mut tx = self.tx.take().ok_or_else(aborted)?;
        let tenant_id = self.tenant_id;
        self.in_flight = Some(tokio::spawn(async move {
            let r = load(&mut tx, tenant_id, per_table, hourly, daily).await;
            (tx, r)
        }));
        self.repeated += repeated;
        Ok(rest)
    }

    /// Hourly contributions grouped by the load table of their month.
    fn per_month(&self, buckets: Vec<Bucket>) -> Vec<(String, Vec<Bucket>)> {
        let mut out: BTreeMap<NaiveDate, Vec<Bucket>> = BTreeMap::new();
        for b in buckets {
            out.entry(month_of(b.start())).or_default().push(b);
        }
        out.into_iter()
            .filter_map(|(m, b)| match self.months.get(&m) {
                Some(Some(l)) => Some((l.hourly.clone(), b)),
                _ => None,
            })
            .collect()
    }

    /// Waits for the batch being loaded, if any, and takes the transaction back.
    async fn settle(&mut self) -> Result<(), DbErr> {
        if let Some(loading) = self.in_flight.take() {
            let started = std::time::Instant::now();
            let (tx, result) = loading
                .await
                .map_err(|e| DbErr::Custom(format!("bulk loader stopped: {e}")))?;
            self.loaded += started.elapsed();
            self.tx = Some(tx);
            result.map_err(db_err)?;
        }
        Ok(())
    }
}

impl BulkLoad {
    /// Builds the keys, merges the rollups and attaches the loaded months (or applies them
    /// through the ordinary path when that is impossible), then commits.
    pub async fn finish(mut self) -> Result<Finished, DbErr> {
        self.settle().await?;
        let tx = self.tx.take().ok_or_else(aborted)?;
        // (The open hours go to their months' tables before the months are handed over.)
        let done = self.hourly.close();
        let hourly = (self.per_month(done), self.hourly.ordered);
        let loading: Vec<(NaiveDate, Loading)> = std::mem::take(&mut self.months)
            .into_iter()
            .filter_map(|(m, l)| l.map(|l| (m, l)))
            .collect();
        let daily = (self.daily.close(), self.daily.ordered);
        let latest: Vec<NewReading> = self.latest.into_values().collect();
        let (tenant_id, repeated) = (self.tenant_id, self.repeated);
        tracing::info!(
            prepared_s = self.prepared.as_secs_f64(),
            loaded_s = self.loaded.as_secs_f64(),
            months = loading.len(),
            "bulk load: rows loaded"
        );
        tokio::spawn(async move {
            let counts = complete(tx, tenant_id, loading, hourly, daily, &latest).await?;
            Ok(Finished {
                counts: WriteCounts {
                    unchanged: counts.unchanged + repeated,
                    ..counts
                },
                latest,
            })
        })
        .await
        .map_err(|e| DbErr::Custom(format!("bulk loader stopped: {e}")))?
        .map_err(db_err)
    }
}

async fn complete(
    mut tx: Transaction<'static, Postgres>,
    tenant_id: i64,
    loading: Vec<(NaiveDate, Loading)>,
    hourly: (Vec<(String, Vec<Bucket>)>, bool),
    daily: (Vec<Bucket>, bool),
    latest: &[NewReading],
) -> Result<WriteCounts, sqlx::Error> {
    if loading.is_empty() {
        tx.commit().await?;
        return Ok(WriteCounts::default());
    }
    load(&mut tx, tenant_id, Vec::new(), hourly.0, daily.0).await?;
    sqlx::query("SAVEPOINT bulk").execute(&mut *tx).await?;
    let started = std::time::Instant::now();
    let counts = match attach(&mut tx, tenant_id, &loading, hourly.1, daily.1).await {
        Ok(()) => WriteCounts {
            inserted: loading.iter().map(|(_, l)| l.rows).sum(),
            ..WriteCounts::default()
        },
        Err(e) if e.as_database_error().is_some() => {
            tracing::warn!(error = %e, "bulk load not attachable; applying it row by row");
            sqlx::query("ROLLBACK TO SAVEPOINT bulk")
                .execute(&mut *tx)
                .await?;
            fallback(&mut tx, tenant_id, &loading).await?
        }
        Err(e) => return Err(e),
    };
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
        finished_s = started.elapsed().as_secs_f64(),
        "bulk load: months stored"
    );
    Ok(counts)
}

/// The fast path: keys built by sorting, rollups merged, tables attached as partitions.
async fn attach(
    tx: &mut Transaction<'static, Postgres>,
    tenant_id: i64,
    loading: &[(NaiveDate, Loading)],
    hourly_ordered: bool,
    daily_ordered: bool,
) -> Result<(), sqlx::Error> {
    // Room for the sorts that build each key (a repeated key fails here) and order the
    // rollup rows.
    sqlx::query("SET LOCAL maintenance_work_mem = '512MB'")
        .execute(&mut **tx)
        .await?;
    sqlx::query("SET LOCAL work_mem = '256MB'")
        .execute(&mut **tx)
        .await?;
    let started = std::time::Instant::now();
    for (_, l) in loading {
        if !hourly_ordered {
            // Some series went back in time: an hour may have several contributions.
            sqlx::query(&format!(
                "WITH parts AS (DELETE FROM {0} RETURNING *)
                 INSERT INTO {0} SELECT tenant_id, node_id, metric, bucket, sum(count),
                     min(min_value), max(max_value), sum(sum_value), max(last_ts),
                     (max(ARRAY[extract(epoch FROM last_ts)::float8, last_value]))[2]
                 FROM parts GROUP BY tenant_id, node_id, metric, bucket",
                l.hourly
            ))
            .execute(&mut **tx)
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
            sqlx::query(&sql).execute(&mut **tx).await?;
        }
    }
    let keys = started.elapsed();
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
    let rollups = started.elapsed() - keys;
    partitions::lock_partitions(tx).await?;
    tracing::info!(
        keys_s = keys.as_secs_f64(),
        daily_s = rollups.as_secs_f64(),
        "bulk load: keys built, daily rollups merged"
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
                format!("ALTER TABLE {table} RENAME TO {name}"),
                format!("ALTER INDEX {table}_pkey RENAME TO {name}_pkey"),
            ] {
                sqlx::query(&sql).execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
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

/// Decides, for months met for the first time, whether they get a load table (no partition
/// yet) or take the ordinary path.
async fn open_months(
    tx: &mut Transaction<'static, Postgres>,
    tag: i32,
    months: Vec<NaiveDate>,
) -> Result<Vec<(NaiveDate, Option<Loading>)>, sqlx::Error> {
    let mut out = Vec::with_capacity(months.len());
    for month in months {
        let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass($1) IS NOT NULL")
            .bind(partition_name(month))
            .fetch_one(&mut **tx)
            .await?;
        if exists {
            out.push((month, None));
            continue;
        }
        let table = format!("{}_load{tag}", partition_name(month));
        // The columns of `readings`, spelled out: `LIKE readings` would hold a lock on it
        // until the commit and so block every partition created meanwhile (and, queued
        // behind that, every reader). A mismatch only makes the attach fail (then the
        // fallback applies). The CHECK matches the partition bounds, so attaching needs no
        // scan.
        sqlx::query(&format!(
            "CREATE TABLE {table} (
                tenant_id BIGINT NOT NULL, node_id BIGINT NOT NULL, metric SMALLINT NOT NULL,
                ts TIMESTAMPTZ NOT NULL, value DOUBLE PRECISION NOT NULL,
                quality INTEGER NOT NULL DEFAULT 0,
                CONSTRAINT {table}_month CHECK (ts >= '{}' AND ts < '{}'))",
            month_start(month),
            month_start(next_month(month))
        ))
        .execute(&mut **tx)
        .await?;
        let hourly = format!("{}_load{tag}", partitions::hourly_partition_name(month));
        sqlx::query(&format!(
            "CREATE TABLE {hourly} (
                tenant_id BIGINT NOT NULL, node_id BIGINT NOT NULL, metric SMALLINT NOT NULL,
                bucket TIMESTAMPTZ NOT NULL, count BIGINT NOT NULL,
                min_value DOUBLE PRECISION NOT NULL, max_value DOUBLE PRECISION NOT NULL,
                sum_value DOUBLE PRECISION NOT NULL, last_ts TIMESTAMPTZ NOT NULL,
                last_value DOUBLE PRECISION NOT NULL,
                CONSTRAINT {hourly}_month CHECK (bucket >= '{}' AND bucket < '{}'))",
            month_start(month),
            month_start(next_month(month))
        ))
        .execute(&mut **tx)
        .await?;
        out.push((
            month,
            Some(Loading {
                table,
                hourly,
                rows: 0,
            }),
        ));
    }
    Ok(out)
}

/// Appends rows to their months' load tables and rollup contributions to the temporary
/// tables.
async fn load(
    tx: &mut Transaction<'static, Postgres>,
    tenant_id: i64,
    per_table: Vec<(String, Vec<NewReading>)>,
    hourly: Vec<(String, Vec<Bucket>)>,
    daily: Vec<Bucket>,
) -> Result<(), sqlx::Error> {
    for (table, rows) in &per_table {
        let copy = tx
            .copy_in_raw(&format!(
                "COPY {table} (tenant_id, node_id, metric, ts, value, quality) \
                 FROM STDIN (FORMAT binary, FREEZE)"
            ))
            .await?;
        pg::send_binary(copy, tenant_id, rows.iter()).await?;
    }
    for (table, buckets) in hourly {
        let copy = tx
            .copy_in_raw(&format!("COPY {table} FROM STDIN (FORMAT binary, FREEZE)"))
            .await?;
        pg::send_buckets(copy, Some(tenant_id), &buckets).await?;
    }
    if !daily.is_empty() {
        let copy = tx
            .copy_in_raw("COPY bulk_daily FROM STDIN (FORMAT binary)")
            .await?;
        pg::send_buckets(copy, None, &daily).await?;
    }
    Ok(())
}

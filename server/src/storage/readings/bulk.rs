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
//! The first months met (up to [`OWN_CONNECTIONS`] at a time) load on connections of their
//! own. Files run in time order, so once a batch holds only later months a month is complete:
//! its keys are built and its tables committed on its connection while the next months load
//! on others (two database backends, two cores). Other months load in the load's own
//! transaction, which attaches every month at the end and commits: other sessions see the
//! months appear complete at that commit. Tables committed before it are not partitions of
//! anything, so no query reads them; an interrupted import leaves them behind, marked with
//! the id of the load's transaction, and the next load (or the weekly maintenance) drops
//! those whose transaction is over ([`drop_orphans`]). Rows that arrive for a
//! month already complete are kept in the load's transaction and upserted after the attach.
//! When the attach cannot happen — another session created the month's partition
//! meanwhile, or the file repeats a key across batches — the transaction rolls back to before
//! the attach and applies the loaded rows through the ordinary upsert path (for a repeated
//! key the row loaded last wins, as in the ordinary path).

use super::pg::{self, Bucket};
use super::{NewReading, WriteCounts};
use crate::storage::partitions::{
    self, hourly_partition_name, month_of, month_start, next_month, partition_name,
};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::{BTreeMap, HashMap};

mod contributions;
mod finish;

use contributions::Contributions;
pub use finish::drop_orphans;
use finish::{complete, key_own, End};

/// Months loading on connections of their own at once (the first ones met).
const OWN_CONNECTIONS: usize = 2;

/// How a load marks the tables it commits before it ends: with its transaction's id.
const MARK: &str = "roccavina bulk load in transaction ";

/// An import's load of the months that had no partition when it first met them.
pub struct BulkLoad {
    conns: Option<Conns>,
    pool: PgPool,
    tenant_id: i64,
    /// Unique among live sessions (the backend's process id), so concurrent loads of the
    /// same month use different tables.
    tag: i32,
    /// This load's mark on the tables it commits early (see [`MARK`]).
    owner: String,
    /// Every month met so far: `None` when it already had a partition (ordinary path).
    months: BTreeMap<NaiveDate, Option<Loading>>,
    hourly: Contributions,
    daily: Contributions,
    latest: HashMap<(i64, i16), NewReading>,
    /// Rows repeated within a batch (the last one was kept).
    repeated: u64,
    /// Rows of months already complete, kept in `bulk_late` until the attach.
    late: u64,
    /// Months whose keys are being built on their own connections.
    keying: Vec<KeyTask>,
    /// The batch being loaded (its task holds the transactions meanwhile).
    in_flight: Option<Loader>,
    /// Time spent preparing batches here and waiting for the database to load them.
    prepared: std::time::Duration,
    loaded: std::time::Duration,
}

/// The load's transaction, and those of the months loading on their own connections.
struct Conns {
    main: Transaction<'static, Postgres>,
    own: BTreeMap<NaiveDate, Transaction<'static, Postgres>>,
}

impl Conns {
    /// The transaction that holds `month`'s tables.
    fn of(&mut self, month: NaiveDate) -> &mut Transaction<'static, Postgres> {
        match self.own.get_mut(&month) {
            Some(tx) => tx,
            None => &mut self.main,
        }
    }
}

type Loader = tokio::task::JoinHandle<(Conns, Result<(), sqlx::Error>)>;
/// Whether the month's keys could be built (false: a key repeats; the tables were committed
/// without them, for the ordinary path).
type KeyTask = tokio::task::JoinHandle<Result<bool, sqlx::Error>>;

/// Where a month's tables are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    /// In the load's transaction.
    Main,
    /// On a connection of its own, still loading.
    Own,
    /// On a connection of its own, complete: keys built and committed (or being so).
    Done,
}

struct Loading {
    /// The month's readings, and its hourly rollups.
    table: String,
    hourly: String,
    rows: u64,
    lane: Lane,
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

fn stopped(e: tokio::task::JoinError) -> DbErr {
    DbErr::Custom(format!("bulk loader stopped: {e}"))
}

/// First instant of `month`, in unix seconds.
fn month_secs(month: NaiveDate) -> i64 {
    month.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
}

impl BulkLoad {
    /// Starts a load for `tenant_id`; `None` where it does not apply (SQLite, TimescaleDB).
    pub async fn start(db: &DatabaseConnection, tenant_id: i64) -> Result<Option<Self>, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let pool = db.get_postgres_connection_pool().clone();
        let mut tx = pool.begin().await.map_err(db_err)?;
        if !partitions::is_partitioned(&mut tx).await.map_err(db_err)? {
            return Ok(None);
        }
        drop_orphans(&pool).await.map_err(db_err)?;
        // Daily rollups are few (one per series and day): gathered here, inserted at the end.
        // Rows for months already complete wait beside them.
        for sql in [
            "CREATE TEMP TABLE bulk_daily (node_id BIGINT, metric SMALLINT, bucket TIMESTAMPTZ,
                count BIGINT, min_value DOUBLE PRECISION, max_value DOUBLE PRECISION,
                sum_value DOUBLE PRECISION, last_ts TIMESTAMPTZ, last_value DOUBLE PRECISION)
             ON COMMIT DROP",
            "CREATE TEMP TABLE bulk_late (tenant_id BIGINT, node_id BIGINT, metric SMALLINT,
                ts TIMESTAMPTZ, value DOUBLE PRECISION, quality INTEGER)
             ON COMMIT DROP",
        ] {
            sqlx::query(sql).execute(&mut *tx).await.map_err(db_err)?;
        }
        let (tag, xid): (i32, String) =
            sqlx::query_as("SELECT pg_backend_pid(), pg_current_xact_id()::text")
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
        let owner = format!("{MARK}{xid}");
        Ok(Some(Self {
            conns: Some(Conns {
                main: tx,
                own: BTreeMap::new(),
            }),
            pool,
            tenant_id,
            tag,
            owner,
            months: BTreeMap::new(),
            hourly: Contributions::new(3_600),
            daily: Contributions::new(86_400),
            latest: HashMap::new(),
            repeated: 0,
            late: 0,
            keying: Vec::new(),
            in_flight: None,
            prepared: std::time::Duration::ZERO,
            loaded: std::time::Duration::ZERO,
        }))
    }

    /// Rows taken so far (stored at [`BulkLoad::finish`]).
    pub fn pending(&self) -> u64 {
        self.repeated + self.late + self.months.values().flatten().map(|l| l.rows).sum::<u64>()
    }

    fn loading(&self, month: NaiveDate) -> Option<&Loading> {
        self.months.get(&month).and_then(Option::as_ref)
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
        if !new_months.is_empty() {
            self.settle().await?;
            let mut conns = self.conns.take().ok_or_else(aborted)?;
            let own = self
                .months
                .values()
                .flatten()
                .filter(|l| l.lane == Lane::Own)
                .count();
            let place = Placement {
                pool: self.pool.clone(),
                tag: self.tag,
                owner: self.owner.clone(),
                own_free: OWN_CONNECTIONS.saturating_sub(own),
            };
            // The statements run in their own task, so a cancelled caller cannot leave a
            // connection in the middle of a statement; the transactions come back afterwards.
            let (conns, result) = tokio::spawn(async move {
                let r = open_months(&mut conns, &place, new_months).await;
                (conns, r)
            })
            .await
            .map_err(stopped)?;
            self.conns = Some(conns);
            self.months.extend(result.map_err(db_err)?);
        }
        // A batch of later months only: the months before it on their own connections are
        // complete.
        if let Some(first) = rows.iter().map(|r| month_of(r.ts)).min() {
            self.complete_before(first).await?;
        }
        let lane = |r: &NewReading| self.loading(month_of(r.ts)).map(|l| l.lane);
        let (mut mine, rest): (Vec<NewReading>, Vec<NewReading>) =
            rows.into_iter().partition(|r| lane(r).is_some());
        let late: Vec<NewReading>;
        (late, mine) = mine.into_iter().partition(|r| lane(r) == Some(Lane::Done));
        for r in &late {
            self.note_latest(*r);
        }
        if mine.is_empty() && late.is_empty() {
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
            self.note_latest(group[group.len() - 1]);
        }
        // Time first, like the key the table will get.
        if !in_key_order {
            mine = series;
            mine.sort_unstable_by_key(key);
        }
        let mut per_table: Vec<(NaiveDate, String, Vec<NewReading>)> = Vec::new();
        for chunk in mine.chunk_by(|a, b| month_of(a.ts) == month_of(b.ts)) {
            let month = month_of(chunk[0].ts);
            if let Some(Some(loading)) = self.months.get_mut(&month) {
                loading.rows += chunk.len() as u64;
                per_table.push((month, loading.table.clone(), chunk.to_vec()));
            }
        }
        let done = self.hourly.drain();
        let hourly = self.per_month(done);
        let daily = self.daily.drain();
        self.prepared += started.elapsed();
        // The previous batch was loading while this one was prepared; this one loads while
        // the caller goes on.
        self.settle().await?;
        let mut conns = self.conns.take().ok_or_else(aborted)?;
        let tenant_id = self.tenant_id;
        self.late += late.len() as u64;
        self.in_flight = Some(tokio::spawn(async move {
            let r = load(&mut conns, tenant_id, per_table, hourly, daily, late).await;
            (conns, r)
        }));
        self.repeated += repeated;
        Ok(rest)
    }

    /// Keeps `r` if it is the newest reading of its series so far.
    fn note_latest(&mut self, r: NewReading) {
        let slot = self.latest.entry((r.node_id, r.metric.code())).or_insert(r);
        if r.ts >= slot.ts {
            *slot = r;
        }
    }

    /// Months before `month` loading on their own connections are complete: their keys are
    /// built, on those connections, while the load goes on.
    async fn complete_before(&mut self, month: NaiveDate) -> Result<(), DbErr> {
        let complete: Vec<NaiveDate> = self
            .months
            .range(..month)
            .filter(|(_, l)| l.as_ref().is_some_and(|l| l.lane == Lane::Own))
            .map(|(m, _)| *m)
            .collect();
        if complete.is_empty() {
            return Ok(());
        }
        self.settle().await?;
        for m in complete {
            let buckets = self
                .hourly
                .close_within(month_secs(m), month_secs(next_month(m)));
            self.key_own(m, buckets)?;
        }
        Ok(())
    }

    /// Starts building the keys of `month`, loading on its own connection, after sending it
    /// its last hourly `buckets`.
    fn key_own(&mut self, month: NaiveDate, buckets: Vec<Bucket>) -> Result<(), DbErr> {
        let tx = self
            .conns
            .as_mut()
            .and_then(|c| c.own.remove(&month))
            .ok_or_else(aborted)?;
        let l = self
            .months
            .get_mut(&month)
            .and_then(Option::as_mut)
            .ok_or_else(aborted)?;
        l.lane = Lane::Done;
        let (table, hourly) = (l.table.clone(), l.hourly.clone());
        let (tenant_id, ordered) = (self.tenant_id, self.hourly.ordered);
        self.keying.push(tokio::spawn(async move {
            key_own(tx, tenant_id, &table, &hourly, &buckets, ordered).await
        }));
        Ok(())
    }

    /// Hourly contributions grouped by the load table of their month.
    fn per_month(&self, buckets: Vec<Bucket>) -> Vec<(NaiveDate, String, Vec<Bucket>)> {
        let mut out: BTreeMap<NaiveDate, Vec<Bucket>> = BTreeMap::new();
        for b in buckets {
            out.entry(month_of(b.start())).or_default().push(b);
        }
        out.into_iter()
            .filter_map(|(m, b)| self.loading(m).map(|l| (m, l.hourly.clone(), b)))
            .collect()
    }

    /// Waits for the batch being loaded, if any, and takes the transactions back.
    async fn settle(&mut self) -> Result<(), DbErr> {
        if let Some(loading) = self.in_flight.take() {
            let started = std::time::Instant::now();
            let (conns, result) = loading.await.map_err(stopped)?;
            self.loaded += started.elapsed();
            self.conns = Some(conns);
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
        // (The open hours go to their months' tables before the months are handed over.)
        let ordered = self.hourly.ordered;
        let done = self.hourly.close();
        let mut hourly = Vec::new();
        for (month, table, buckets) in self.per_month(done) {
            if self.loading(month).is_some_and(|l| l.lane == Lane::Own) {
                self.key_own(month, buckets)?;
            } else {
                hourly.push((month, table, buckets));
            }
        }
        // Months on their own connections that had no open hour left.
        let own: Vec<NaiveDate> = self
            .conns
            .as_ref()
            .map_or(Vec::new(), |c| c.own.keys().copied().collect());
        for month in own {
            self.key_own(month, Vec::new())?;
        }
        let conns = self.conns.take().ok_or_else(aborted)?;
        let loading: Vec<(NaiveDate, Loading)> = std::mem::take(&mut self.months)
            .into_iter()
            .filter_map(|(m, l)| l.map(|l| (m, l)))
            .collect();
        let daily = (self.daily.close(), self.daily.ordered);
        let latest: Vec<NewReading> = self.latest.into_values().collect();
        tracing::info!(
            prepared_s = self.prepared.as_secs_f64(),
            loaded_s = self.loaded.as_secs_f64(),
            months = loading.len(),
            own_connections = self.keying.len(),
            "bulk load: rows loaded"
        );
        let end = End {
            tenant_id: self.tenant_id,
            loading,
            hourly: (hourly, ordered),
            daily,
            keying: self.keying,
            late: self.late,
        };
        let repeated = self.repeated;
        tokio::spawn(async move {
            let counts = complete(conns.main, end, &latest).await?;
            Ok(Finished {
                counts: WriteCounts {
                    unchanged: counts.unchanged + repeated,
                    ..counts
                },
                latest,
            })
        })
        .await
        .map_err(stopped)?
        .map_err(db_err)
    }
}

/// What [`open_months`] needs to place a new month on a connection of its own.
struct Placement {
    pool: PgPool,
    tag: i32,
    owner: String,
    /// How many more months may load on connections of their own.
    own_free: usize,
}

/// Is there a connection to spare for a month of its own? Besides it, the pool keeps room
/// for the ordinary path's two writers and a month completing, and the rest of the server
/// keeps what other loads have not taken.
fn spare_connection(pool: &PgPool) -> bool {
    let in_use = pool.size().saturating_sub(pool.num_idle() as u32);
    in_use + 4 <= pool.options().get_max_connections()
}

/// Decides, for months met for the first time, whether they get load tables (no partition
/// yet) or take the ordinary path, and where those tables are: on a connection of their own
/// while there are some to spare, in the load's transaction otherwise.
async fn open_months(
    conns: &mut Conns,
    place: &Placement,
    months: Vec<NaiveDate>,
) -> Result<Vec<(NaiveDate, Option<Loading>)>, sqlx::Error> {
    let mut out = Vec::with_capacity(months.len());
    let mut own_free = place.own_free;
    for month in months {
        let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass($1) IS NOT NULL")
            .bind(partition_name(month))
            .fetch_one(&mut *conns.main)
            .await?;
        if exists {
            out.push((month, None));
            continue;
        }
        let mut lane = Lane::Main;
        if own_free > 0 && spare_connection(&place.pool) {
            let wait = std::time::Duration::from_millis(500);
            if let Ok(tx) = tokio::time::timeout(wait, place.pool.begin()).await {
                conns.own.insert(month, tx?);
                lane = Lane::Own;
                own_free -= 1;
            }
        }
        let tx = conns.of(month);
        let table = format!("{}_load{}", partition_name(month), place.tag);
        let hourly = format!("{}_load{}", hourly_partition_name(month), place.tag);
        // The columns of `readings`, spelled out: `LIKE readings` would hold a lock on it
        // until the commit and so block every partition created meanwhile (and, queued
        // behind that, every reader). A mismatch only makes the attach fail (then the
        // fallback applies). The CHECK matches the partition bounds, so attaching needs no
        // scan.
        let mut statements = vec![
            format!(
                "CREATE TABLE {table} (
                    tenant_id BIGINT NOT NULL, node_id BIGINT NOT NULL, metric SMALLINT NOT NULL,
                    ts TIMESTAMPTZ NOT NULL, value DOUBLE PRECISION NOT NULL,
                    quality INTEGER NOT NULL DEFAULT 0,
                    CONSTRAINT {table}_month CHECK (ts >= '{}' AND ts < '{}'))",
                month_start(month),
                month_start(next_month(month))
            ),
            format!(
                "CREATE TABLE {hourly} (
                    tenant_id BIGINT NOT NULL, node_id BIGINT NOT NULL, metric SMALLINT NOT NULL,
                    bucket TIMESTAMPTZ NOT NULL, count BIGINT NOT NULL,
                    min_value DOUBLE PRECISION NOT NULL, max_value DOUBLE PRECISION NOT NULL,
                    sum_value DOUBLE PRECISION NOT NULL, last_ts TIMESTAMPTZ NOT NULL,
                    last_value DOUBLE PRECISION NOT NULL,
                    CONSTRAINT {hourly}_month CHECK (bucket >= '{}' AND bucket < '{}'))",
                month_start(month),
                month_start(next_month(month))
            ),
        ];
        if lane == Lane::Own {
            // Committed before the load ends: marked, so that an interrupted load's tables
            // can be told from a running one's.
            for t in [&table, &hourly] {
                statements.push(format!("COMMENT ON TABLE {t} IS '{}'", place.owner));
            }
        }
        for sql in statements {
            sqlx::query(&sql).execute(&mut **tx).await?;
        }
        out.push((
            month,
            Some(Loading {
                table,
                hourly,
                rows: 0,
                lane,
            }),
        ));
    }
    Ok(out)
}

/// Appends rows to their months' load tables, rollup contributions to theirs and to the
/// temporary daily table, and rows of months already complete to `bulk_late`.
async fn load(
    conns: &mut Conns,
    tenant_id: i64,
    per_table: Vec<(NaiveDate, String, Vec<NewReading>)>,
    hourly: Vec<(NaiveDate, String, Vec<Bucket>)>,
    daily: Vec<Bucket>,
    late: Vec<NewReading>,
) -> Result<(), sqlx::Error> {
    for (month, table, rows) in &per_table {
        let copy = conns
            .of(*month)
            .copy_in_raw(&format!(
                "COPY {table} (tenant_id, node_id, metric, ts, value, quality) \
                 FROM STDIN (FORMAT binary, FREEZE)"
            ))
            .await?;
        pg::send_binary(copy, tenant_id, rows.iter()).await?;
    }
    for (month, table, buckets) in hourly {
        let copy = conns
            .of(month)
            .copy_in_raw(&format!("COPY {table} FROM STDIN (FORMAT binary, FREEZE)"))
            .await?;
        pg::send_buckets(copy, Some(tenant_id), &buckets).await?;
    }
    if !daily.is_empty() {
        let copy = conns
            .main
            .copy_in_raw("COPY bulk_daily FROM STDIN (FORMAT binary)")
            .await?;
        pg::send_buckets(copy, None, &daily).await?;
    }
    if !late.is_empty() {
        let copy = conns
            .main
            .copy_in_raw("COPY bulk_late FROM STDIN (FORMAT binary)")
            .await?;
        pg::send_binary(copy, tenant_id, late.iter()).await?;
    }
    Ok(())
}

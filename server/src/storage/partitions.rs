//! Monthly partitions of `readings` on PostgreSQL (without TimescaleDB): each month's
//! partition is created before the first row of that month is written.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::PgPool;
use std::collections::{BTreeSet, HashSet};
use std::sync::{LazyLock, Mutex};

/// (database, month) pairs whose partition this process has already seen.
static KNOWN: LazyLock<Mutex<HashSet<(String, NaiveDate)>>> =
    LazyLock::new(|| Mutex::new(HashSet::new()));

fn database_key(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "{}:{}/{}",
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or_default()
    )
}

/// The first day of the month holding `ts` (UTC).
pub fn month_of(ts: DateTime<Utc>) -> NaiveDate {
    NaiveDate::from_ymd_opt(ts.year(), ts.month(), 1).unwrap_or_default()
}

/// The first day of the month after `m`.
pub fn next_month(m: NaiveDate) -> NaiveDate {
    if m.month() == 12 {
        NaiveDate::from_ymd_opt(m.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(m.year(), m.month() + 1, 1)
    }
    .unwrap_or(m)
}

/// A timestamp literal for a month's first instant (UTC, whatever the session's time zone).
pub fn month_start(m: NaiveDate) -> String {
    format!("{m} 00:00:00+00")
}

/// The partition name of a month: `readings_y2026m03`.
pub fn partition_name(month: NaiveDate) -> String {
    format!("readings_y{:04}m{:02}", month.year(), month.month())
}

/// The partition name of a month of the hourly rollups: `readings_hourly_y2026m03`.
pub fn hourly_partition_name(month: NaiveDate) -> String {
    format!("readings_hourly_y{:04}m{:02}", month.year(), month.month())
}

/// Ensures a partition exists for every month in `timestamps` (no-op for a hypertable).
pub async fn ensure_for(
    pool: &PgPool,
    timestamps: impl Iterator<Item = DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    let db = database_key(pool);
    let months: BTreeSet<NaiveDate> = timestamps.map(month_of).collect();
    let missing: Vec<NaiveDate> = {
        let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
        months
            .into_iter()
            .filter(|m| !known.contains(&(db.clone(), *m)))
            .collect()
    };
    if missing.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    if is_partitioned(&mut tx).await? {
        lock_partitions(&mut tx).await?;
        for month in &missing {
            create_month(&mut tx, *month).await?;
        }
    }
    tx.commit().await?;
    KNOWN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(missing.into_iter().map(|m| (db.clone(), m)));
    Ok(())
}

/// Is `readings` range-partitioned here (PostgreSQL without TimescaleDB)?
pub async fn is_partitioned(conn: &mut sqlx::PgConnection) -> Result<bool, sqlx::Error> {
    let partitioned: Option<(bool,)> = sqlx::query_as(
        "SELECT c.relkind = 'p' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = 'readings' AND n.nspname = current_schema()",
    )
    .fetch_optional(conn)
    .await?;
    Ok(partitioned.is_some_and(|(p,)| p))
}

/// Creates the partitions of `month` of `readings` and of `readings_hourly` (partitioned
/// alike by migration 000014) unless they exist (call [`lock_partitions`] first).
pub async fn create_month(
    conn: &mut sqlx::PgConnection,
    month: NaiveDate,
) -> Result<(), sqlx::Error> {
    for (table, name) in [
        ("readings", partition_name(month)),
        ("readings_hourly", hourly_partition_name(month)),
    ] {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} FOR VALUES FROM ('{}') TO ('{}')",
            month_start(month),
            month_start(next_month(month))
        );
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Serialises the creation and attachment of partitions across processes (until the end of
/// the transaction).
pub async fn lock_partitions(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('roccavina.readings.partitions'))")
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives each monthly partition whose month has ended (before `now`'s month) an index by
/// series, (node, metric, ts); returns how many it created. The table's key leads with time,
/// which keeps writes at the index's right edge (migration 000012) but makes a one-series
/// query scan the whole tenant's range: history, which no longer receives a steady stream of
/// writes, gets the series index built once, by sorting, instead of maintained row by row.
/// The current month is read through the time key.
pub async fn index_closed_months(
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let current = month_of(now);
    let rows = db
        .query_all(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.relname AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent \
             WHERE p.relname = 'readings' AND NOT EXISTS ( \
                 SELECT 1 FROM pg_indexes x WHERE x.tablename = c.relname \
                 AND x.indexname = c.relname || '_series')",
        ))
        .await?;
    let mut created = 0;
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let Some(month) = month_of_partition(&name) else {
            continue; // the default partition, or a TimescaleDB chunk
        };
        if next_month(month) > current {
            continue;
        }
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {name}_series ON {name} (node_id, metric, ts)"
        ))
        .await?;
        created += 1;
    }
    Ok(created)
}

/// The month of a partition named by [`partition_name`].
fn month_of_partition(name: &str) -> Option<NaiveDate> {
    let rest = name.strip_prefix("readings_y")?;
    let (year, month) = rest.split_once('m')?;
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_names() {
        let m = month_of("2026-12-31T23:59:59Z".parse().unwrap());
        assert_eq!(partition_name(m), "readings_y2026m12");
        assert_eq!(next_month(m).to_string(), "2027-01-01");
        assert_eq!(month_of_partition("readings_y2026m12"), Some(m));
        assert_eq!(month_of_partition("readings_default"), None);
    }
}

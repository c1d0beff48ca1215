//! PostgreSQL with monthly partitions: `readings_hourly` is partitioned by month like
//! `readings` (same month boundaries, created together by the storage code), so that a bulk
//! load of a new month can build its hourly rollups into a table of its own, key them once by
//! sorting and attach them with the month's readings, instead of inserting a quarter as many
//! rows as it loads through the rollups' key one by one (BENCHMARKS.md). Existing rows move
//! into partitions for every month that has a readings partition or rollups. Skipped on
//! SQLite and where `readings` is a TimescaleDB hypertable.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = "tenant_id, node_id, metric, bucket, count, min_value, max_value, \
                       sum_value, last_ts, last_value";

const UP: &str = "
ALTER TABLE readings_hourly RENAME TO readings_hourly_unpartitioned;
ALTER TABLE readings_hourly_unpartitioned
    RENAME CONSTRAINT readings_hourly_pkey TO readings_hourly_unpartitioned_pkey;
CREATE TABLE readings_hourly (
    tenant_id BIGINT NOT NULL,
    node_id BIGINT NOT NULL,
    metric SMALLINT NOT NULL,
    bucket TIMESTAMPTZ NOT NULL,
    count BIGINT NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    sum_value DOUBLE PRECISION NOT NULL,
    last_ts TIMESTAMPTZ NOT NULL,
    last_value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (node_id, metric, bucket)
) PARTITION BY RANGE (bucket);
CREATE TABLE readings_hourly_default PARTITION OF readings_hourly DEFAULT;
DO $$
DECLARE m date;
BEGIN
    FOR m IN
        SELECT to_date(substr(c.relname, 11, 4) || substr(c.relname, 16, 2) || '01', 'YYYYMMDD')
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'readings'::regclass AND c.relname ~ '^readings_y[0-9]{4}m[0-9]{2}$'
        UNION
        SELECT DISTINCT date_trunc('month', bucket AT TIME ZONE 'UTC')::date
        FROM readings_hourly_unpartitioned
    LOOP
        EXECUTE format(
            'CREATE TABLE readings_hourly_y%sm%s PARTITION OF readings_hourly FOR VALUES FROM (%L) TO (%L)',
            to_char(m, 'YYYY'), to_char(m, 'MM'),
            m::text || ' 00:00:00+00', (m + INTERVAL '1 month')::date::text || ' 00:00:00+00');
    END LOOP;
END $$;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if !readings_partitioned(db).await? {
            return Ok(());
        }
        db.execute_unprepared(UP).await?;
        db.execute_unprepared(&format!(
            "INSERT INTO readings_hourly ({COLUMNS}) SELECT {COLUMNS} FROM readings_hourly_unpartitioned;
             DROP TABLE readings_hourly_unpartitioned;"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if !readings_partitioned(db).await? {
            return Ok(());
        }
        db.execute_unprepared(&format!(
            "CREATE TABLE readings_hourly_unpartitioned
                 (LIKE readings_hourly INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
             INSERT INTO readings_hourly_unpartitioned ({COLUMNS})
                 SELECT {COLUMNS} FROM readings_hourly;
             DROP TABLE readings_hourly;
             ALTER TABLE readings_hourly_unpartitioned RENAME TO readings_hourly;
             ALTER TABLE readings_hourly ADD PRIMARY KEY (node_id, metric, bucket);"
        ))
        .await?;
        Ok(())
    }
}

/// Is `readings` range-partitioned (PostgreSQL without TimescaleDB)?
async fn readings_partitioned(db: &SchemaManagerConnection<'_>) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    Ok(db
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT 1 AS yes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = 'readings' AND n.nspname = current_schema() AND c.relkind = 'p'",
        ))
        .await?
        .is_some())
}

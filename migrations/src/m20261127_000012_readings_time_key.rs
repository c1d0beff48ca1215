//! PostgreSQL: the unique key of `readings` becomes (tenant, ts, node, metric) instead of
//! (node, metric, ts), and it replaces the separate (tenant, ts) index.
//!
//! Readings arrive in time order — live data always, bulk exports nearly always — so a key
//! that leads with the time is written at its right edge, where PostgreSQL appends without
//! searching, and the index pages being written stay in memory whatever the table's size. A
//! key that leads with the node scatters every time step over one leaf page per series; on the
//! 5-million-reading ingest benchmark that costs 2–3× a bare `COPY` on its own (BENCHMARKS.md).
//! Queries of one series over a short range (raw data is read for at most 3 days; longer
//! ranges read the rollups) scan the tenant's readings of that range in the index and fetch
//! only the series' rows. The key still makes (node, metric, ts) unique: a node belongs to
//! one tenant. SQLite keeps its (node, metric, ts) key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        db.execute_unprepared(
            "ALTER TABLE readings DROP CONSTRAINT readings_pkey;
             ALTER TABLE readings ADD PRIMARY KEY (tenant_id, ts, node_id, metric);
             DROP INDEX IF EXISTS idx_readings_tenant_ts;",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        db.execute_unprepared(
            "ALTER TABLE readings DROP CONSTRAINT readings_pkey;
             ALTER TABLE readings ADD PRIMARY KEY (node_id, metric, ts);
             CREATE INDEX idx_readings_tenant_ts ON readings (tenant_id, ts);",
        )
        .await?;
        Ok(())
    }
}

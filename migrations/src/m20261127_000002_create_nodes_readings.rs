//! Districts, network nodes, readings (one row per node, metric and timestamp), the latest
//! value per node and metric, and the hourly/daily rollups with their dirty-bucket queue.
//!
//! `readings` is the one big table. On PostgreSQL it is range-partitioned by month (the
//! storage code creates each month's partition before writing into it; a default partition
//! catches anything else); with the `timescaledb` extension available it becomes a
//! hypertable with compression after 7 days instead. SQLite gets a plain table.
//! It has no foreign key to `nodes` on purpose: a per-row check would halve bulk-load speed,
//! and nodes are deactivated, not deleted, while they have readings.

use crate::m20261127_000001_create_tenants_users::Tenants;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Districts {
    Table,
    Id,
    TenantId,
    Name,
    MainsLengthKm,
    ServiceConnections,
    CustomerPipeKm,
    AvgPressureBar,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Nodes {
    Table,
    Id,
    TenantId,
    ExternalId,
    Name,
    Kind,
    DistrictId,
    Latitude,
    Longitude,
    Elevation,
    Metadata,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Readings {
    Table,
    TenantId,
    NodeId,
    Metric,
    Ts,
    Value,
    Quality,
}

#[derive(DeriveIden)]
enum LatestReadings {
    Table,
    TenantId,
    NodeId,
    Metric,
    Ts,
    Value,
}

#[derive(DeriveIden)]
enum Rollup {
    TenantId,
    NodeId,
    Metric,
    Bucket,
    Count,
    MinValue,
    MaxValue,
    SumValue,
    LastTs,
    LastValue,
}

#[derive(DeriveIden)]
enum ReadingsHourly {
    Table,
}

#[derive(DeriveIden)]
enum ReadingsDaily {
    Table,
}

#[derive(DeriveIden)]
enum RollupDirty {
    Table,
    TenantId,
    NodeId,
    Metric,
    Hour,
}

fn big_pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn rollup_table(table: impl IntoIden + 'static) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(ColumnDef::new(Rollup::TenantId).big_integer().not_null())
        .col(ColumnDef::new(Rollup::NodeId).big_integer().not_null())
        .col(ColumnDef::new(Rollup::Metric).small_integer().not_null())
        .col(
            ColumnDef::new(Rollup::Bucket)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Rollup::Count).big_integer().not_null())
        .col(ColumnDef::new(Rollup::MinValue).double().not_null())
        .col(ColumnDef::new(Rollup::MaxValue).double().not_null())
        .col(ColumnDef::new(Rollup::SumValue).double().not_null())
        .col(
            ColumnDef::new(Rollup::LastTs)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Rollup::LastValue).double().not_null())
        .primary_key(
            Index::create()
                .col(Rollup::NodeId)
                .col(Rollup::Metric)
                .col(Rollup::Bucket),
        )
        .to_owned()
}

const PG_READINGS: &str = "
CREATE TABLE readings (
    tenant_id BIGINT NOT NULL,
    node_id BIGINT NOT NULL,
    metric SMALLINT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    quality INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (node_id, metric, ts)
)";

async fn create_readings(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
        return manager
            .create_table(
                Table::create()
                    .table(Readings::Table)
                    .col(ColumnDef::new(Readings::TenantId).big_integer().not_null())
                    .col(ColumnDef::new(Readings::NodeId).big_integer().not_null())
                    .col(ColumnDef::new(Readings::Metric).small_integer().not_null())
                    .col(
                        ColumnDef::new(Readings::Ts)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Readings::Value).double().not_null())
                    .col(
                        ColumnDef::new(Readings::Quality)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .col(Readings::NodeId)
                            .col(Readings::Metric)
                            .col(Readings::Ts),
                    )
                    .to_owned(),
            )
            .await;
    }
    let timescale = db
        .query_one(sea_orm_migration::sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT 1 AS present FROM pg_available_extensions WHERE name = 'timescaledb'",
        ))
        .await?
        .is_some();
    if timescale {
        // TimescaleDB: hypertable in 7-day chunks, compressed once a week old.
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS timescaledb")
            .await?;
        db.execute_unprepared(PG_READINGS).await?;
        db.execute_unprepared(
            "SELECT create_hypertable('readings', 'ts', chunk_time_interval => INTERVAL '7 days');
             ALTER TABLE readings SET (timescaledb.compress,
                 timescaledb.compress_segmentby = 'node_id, metric');
             SELECT add_compression_policy('readings', INTERVAL '7 days');",
        )
        .await?;
    } else {
        db.execute_unprepared(&format!("{PG_READINGS} PARTITION BY RANGE (ts)"))
            .await?;
        db.execute_unprepared("CREATE TABLE readings_default PARTITION OF readings DEFAULT")
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Districts::Table)
                    .col(big_pk(Districts::Id))
                    .col(ColumnDef::new(Districts::TenantId).big_integer().not_null())
                    .col(ColumnDef::new(Districts::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Districts::MainsLengthKm).double().null())
                    .col(
                        ColumnDef::new(Districts::ServiceConnections)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(Districts::CustomerPipeKm).double().null())
                    .col(ColumnDef::new(Districts::AvgPressureBar).double().null())
                    .col(
                        ColumnDef::new(Districts::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Districts::Table, Districts::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_districts_tenant_name")
                    .table(Districts::Table)
                    .col(Districts::TenantId)
                    .col(Districts::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Nodes::Table)
                    .col(big_pk(Nodes::Id))
                    .col(ColumnDef::new(Nodes::TenantId).big_integer().not_null())
                    .col(ColumnDef::new(Nodes::ExternalId).string_len(64).not_null())
                    .col(ColumnDef::new(Nodes::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Nodes::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Nodes::DistrictId).big_integer().null())
                    .col(ColumnDef::new(Nodes::Latitude).double().null())
                    .col(ColumnDef::new(Nodes::Longitude).double().null())
                    .col(ColumnDef::new(Nodes::Elevation).double().null())
                    .col(ColumnDef::new(Nodes::Metadata).json().null())
                    .col(
                        ColumnDef::new(Nodes::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Nodes::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Nodes::Table, Nodes::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Nodes::Table, Nodes::DistrictId)
                            .to(Districts::Table, Districts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_nodes_tenant_external")
                    .table(Nodes::Table)
                    .col(Nodes::TenantId)
                    .col(Nodes::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        create_readings(manager).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_readings_tenant_ts")
                    .table(Readings::Table)
                    .col(Readings::TenantId)
                    .col(Readings::Ts)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LatestReadings::Table)
                    .col(
                        ColumnDef::new(LatestReadings::TenantId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LatestReadings::NodeId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LatestReadings::Metric)
                            .small_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LatestReadings::Ts)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(LatestReadings::Value).double().not_null())
                    .primary_key(
                        Index::create()
                            .col(LatestReadings::NodeId)
                            .col(LatestReadings::Metric),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LatestReadings::Table, LatestReadings::NodeId)
                            .to(Nodes::Table, Nodes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_latest_readings_tenant")
                    .table(LatestReadings::Table)
                    .col(LatestReadings::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(rollup_table(ReadingsHourly::Table))
            .await?;
        manager
            .create_table(rollup_table(ReadingsDaily::Table))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RollupDirty::Table)
                    .col(
                        ColumnDef::new(RollupDirty::TenantId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RollupDirty::NodeId).big_integer().not_null())
                    .col(
                        ColumnDef::new(RollupDirty::Metric)
                            .small_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RollupDirty::Hour)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(RollupDirty::NodeId)
                            .col(RollupDirty::Metric)
                            .col(RollupDirty::Hour),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RollupDirty::Table.into_iden(),
            ReadingsDaily::Table.into_iden(),
            ReadingsHourly::Table.into_iden(),
            LatestReadings::Table.into_iden(),
            Readings::Table.into_iden(),
            Nodes::Table.into_iden(),
            Districts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).cascade().to_owned())
                .await?;
        }
        Ok(())
    }
}

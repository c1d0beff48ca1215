//! Network nodes, their readings (one row per node, metric and timestamp), and the latest
//! value per node and metric so the dashboard never scans history.

use crate::m20261127_000001_create_tenants_users::Tenants;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Nodes {
    Table,
    Id,
    TenantId,
    ExternalId,
    Name,
    Kind,
    District,
    Latitude,
    Longitude,
    Elevation,
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

fn node_fk(
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Nodes::Table, Nodes::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Nodes::Table)
                    .col(
                        ColumnDef::new(Nodes::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Nodes::TenantId).big_integer().not_null())
                    .col(ColumnDef::new(Nodes::ExternalId).string_len(64).not_null())
                    .col(ColumnDef::new(Nodes::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Nodes::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Nodes::District).string_len(100).null())
                    .col(ColumnDef::new(Nodes::Latitude).double().null())
                    .col(ColumnDef::new(Nodes::Longitude).double().null())
                    .col(ColumnDef::new(Nodes::Elevation).double().null())
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
        manager
            .create_table(
                Table::create()
                    .table(Readings::Table)
                    .col(ColumnDef::new(Readings::TenantId).big_integer().not_null())
                    .col(ColumnDef::new(Readings::NodeId).big_integer().not_null())
                    .col(ColumnDef::new(Readings::Metric).string_len(16).not_null())
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
                    .foreign_key(&mut node_fk(Readings::Table, Readings::NodeId))
                    .to_owned(),
            )
            .await?;
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
                            .string_len(16)
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
                    .foreign_key(&mut node_fk(LatestReadings::Table, LatestReadings::NodeId))
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
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LatestReadings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Readings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Nodes::Table).to_owned())
            .await
    }
}

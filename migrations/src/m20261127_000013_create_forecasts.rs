//! The current forecast of each node's metric: one row per (node, metric), replaced by every
//! refit (local model or BigQuery ML), the whole forecast as JSON in `body`. The cache holds
//! the same for quick reads; this table is what survives a cache flush or a restart.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Forecasts {
    Table,
    TenantId,
    NodeId,
    Metric,
    Method,
    GeneratedAt,
    Body,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Forecasts::Table)
                    .col(ColumnDef::new(Forecasts::TenantId).big_integer().not_null())
                    .col(ColumnDef::new(Forecasts::NodeId).big_integer().not_null())
                    .col(ColumnDef::new(Forecasts::Metric).small_integer().not_null())
                    .col(ColumnDef::new(Forecasts::Method).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Forecasts::GeneratedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Forecasts::Body).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(Forecasts::NodeId)
                            .col(Forecasts::Metric),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_forecasts_tenant")
                    .table(Forecasts::Table)
                    .col(Forecasts::TenantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Forecasts::Table).to_owned())
            .await
    }
}

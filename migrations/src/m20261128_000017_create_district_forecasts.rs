//! The current demand forecast of each district (the summed flow of its inlet meters): one
//! row per district, replaced by every refit, the whole forecast as JSON in `body`, like
//! `forecasts` for nodes. The hourly cache refresh job refits them; the API and the UI read
//! them (and fit one on demand when none is fresh). Behind row-level security on PostgreSQL.

use crate::m20261127_000015_row_level_security::protect_tenant_tables;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DistrictForecasts {
    Table,
    TenantId,
    DistrictId,
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
                    .table(DistrictForecasts::Table)
                    .col(
                        ColumnDef::new(DistrictForecasts::TenantId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DistrictForecasts::DistrictId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(DistrictForecasts::Method).text().not_null())
                    .col(
                        ColumnDef::new(DistrictForecasts::GeneratedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(DistrictForecasts::Body).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_district_forecasts_tenant")
                    .table(DistrictForecasts::Table)
                    .col(DistrictForecasts::TenantId)
                    .to_owned(),
            )
            .await?;
        protect_tenant_tables(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DistrictForecasts::Table).to_owned())
            .await
    }
}

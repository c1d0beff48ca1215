//! Incidents found by the anomaly detector, with their lifecycle.
//!
//! `uid` is the detector's own identity of an incident (its deduplication key and the run that
//! opened it): unique per tenant, so a run repeated on another replica cannot insert it twice.
//! `affected` holds the ranked sensors as JSON; `dedupe_key` is what later runs extend.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    TenantId,
    Uid,
    DedupeKey,
    Kind,
    Severity,
    Status,
    District,
    StartedAt,
    DetectedAt,
    LastSeenAt,
    EndedAt,
    Score,
    Affected,
    Explanation,
    AcknowledgedBy,
    AcknowledgedAt,
    ResolvedBy,
    ResolvedAt,
    Comment,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

fn ts(col: impl IntoIden, null: bool) -> ColumnDef {
    let mut c = ColumnDef::new(col);
    c.timestamp_with_time_zone();
    if null {
        c.null();
    } else {
        c.not_null();
    }
    c.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Incidents::Table)
                    .col(
                        ColumnDef::new(Incidents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Incidents::TenantId).big_integer().not_null())
                    .col(ColumnDef::new(Incidents::Uid).string_len(255).not_null())
                    .col(
                        ColumnDef::new(Incidents::DedupeKey)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Incidents::Kind).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Incidents::Severity)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Incidents::Status)
                            .string_len(16)
                            .not_null()
                            .default("open"),
                    )
                    .col(ColumnDef::new(Incidents::District).string_len(255).null())
                    .col(ts(Incidents::StartedAt, false))
                    .col(ts(Incidents::DetectedAt, false))
                    .col(ts(Incidents::LastSeenAt, false))
                    .col(ts(Incidents::EndedAt, true))
                    .col(ColumnDef::new(Incidents::Score).double().not_null())
                    .col(ColumnDef::new(Incidents::Affected).text().not_null())
                    .col(ColumnDef::new(Incidents::Explanation).text().not_null())
                    .col(
                        ColumnDef::new(Incidents::AcknowledgedBy)
                            .string_len(255)
                            .null(),
                    )
                    .col(ts(Incidents::AcknowledgedAt, true))
                    .col(ColumnDef::new(Incidents::ResolvedBy).string_len(255).null())
                    .col(ts(Incidents::ResolvedAt, true))
                    .col(ColumnDef::new(Incidents::Comment).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Incidents::Table, Incidents::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("incidents_tenant_uid")
                    .table(Incidents::Table)
                    .col(Incidents::TenantId)
                    .col(Incidents::Uid)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("incidents_tenant_detected")
                    .table(Incidents::Table)
                    .col(Incidents::TenantId)
                    .col(Incidents::DetectedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("incidents_tenant_open")
                    .table(Incidents::Table)
                    .col(Incidents::TenantId)
                    .col(Incidents::EndedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Incidents::Table).to_owned())
            .await
    }
}

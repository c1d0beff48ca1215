//! The scheduler's ledger and the warehouse sync watermarks.
//!
//! `job_runs`: one row per run of a job for a tenant (`tenant_id` 0: system-wide work), per
//! scheduled tick or per "run now". The unique (job, tenant_id, scheduled_at) key is what
//! makes a tick run once across replicas: every replica's scheduler fires, and only the one
//! whose insert lands runs the job. A running row carries a
//! heartbeat; one whose heartbeat stopped is marked `crashed` instead of staying `running`.
//!
//! `sync_watermarks`: per source and tenant, the newest reading timestamp already committed;
//! it only moves after the rows are stored.
//!
//! `data_quality_reports`: the data quality job's report per tenant and day.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Job,
    TenantId,
    Trigger,
    ScheduledAt,
    StartedAt,
    FinishedAt,
    HeartbeatAt,
    Status,
    RowsProcessed,
    Detail,
    Error,
    Instance,
}

#[derive(DeriveIden)]
enum SyncWatermarks {
    Table,
    Source,
    TenantId,
    Watermark,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DataQualityReports {
    Table,
    TenantId,
    Day,
    Score,
    Report,
    CreatedAt,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(
                        ColumnDef::new(JobRuns::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(JobRuns::Job).string_len(64).not_null())
                    .col(
                        ColumnDef::new(JobRuns::TenantId)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(JobRuns::Trigger).string_len(16).not_null())
                    .col(ts(JobRuns::ScheduledAt))
                    .col(ts(JobRuns::StartedAt))
                    .col(
                        ColumnDef::new(JobRuns::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ts(JobRuns::HeartbeatAt))
                    .col(ColumnDef::new(JobRuns::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(JobRuns::RowsProcessed)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(JobRuns::Detail).text().null())
                    .col(ColumnDef::new(JobRuns::Error).text().null())
                    .col(ColumnDef::new(JobRuns::Instance).string_len(128).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_runs_tick")
                    .table(JobRuns::Table)
                    .col(JobRuns::Job)
                    .col(JobRuns::TenantId)
                    .col(JobRuns::ScheduledAt)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_runs_status")
                    .table(JobRuns::Table)
                    .col(JobRuns::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncWatermarks::Table)
                    .col(
                        ColumnDef::new(SyncWatermarks::Source)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SyncWatermarks::TenantId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ts(SyncWatermarks::Watermark))
                    .col(ts(SyncWatermarks::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SyncWatermarks::Source)
                            .col(SyncWatermarks::TenantId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DataQualityReports::Table)
                    .col(
                        ColumnDef::new(DataQualityReports::TenantId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(DataQualityReports::Day).date().not_null())
                    .col(
                        ColumnDef::new(DataQualityReports::Score)
                            .double()
                            .not_null(),
                    )
                    .col(ColumnDef::new(DataQualityReports::Report).text().not_null())
                    .col(ts(DataQualityReports::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(DataQualityReports::TenantId)
                            .col(DataQualityReports::Day),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DataQualityReports::Table.into_iden(),
            SyncWatermarks::Table.into_iden(),
            JobRuns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

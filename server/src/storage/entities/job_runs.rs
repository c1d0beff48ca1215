use sea_orm::entity::prelude::*;

/// One run of a scheduled job (see the migration for how ticks stay unique).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job: String,
    /// 0 for system-wide work.
    pub tenant_id: i64,
    /// `schedule` or `manual`.
    pub trigger: String,
    pub scheduled_at: DateTimeUtc,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub heartbeat_at: DateTimeUtc,
    /// `running`, `succeeded`, `failed`, `skipped` or `crashed`.
    pub status: String,
    pub rows_processed: i64,
    pub detail: Option<String>,
    pub error: Option<String>,
    pub instance: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

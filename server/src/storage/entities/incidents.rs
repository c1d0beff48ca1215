use sea_orm::entity::prelude::*;

/// An incident of the anomaly detector (`affected` is JSON, see `analytics::incidents::Affected`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub uid: String,
    pub dedupe_key: String,
    pub kind: String,
    pub severity: String,
    pub status: String,
    pub district: Option<String>,
    pub started_at: DateTimeUtc,
    pub detected_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub score: f64,
    #[sea_orm(column_type = "Text")]
    pub affected: String,
    #[sea_orm(column_type = "Text")]
    pub explanation: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

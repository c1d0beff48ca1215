use sea_orm::entity::prelude::*;

/// The newest reading per node and metric, kept current on every write.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "latest_readings")]
pub struct Model {
    pub tenant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: i16,
    pub ts: DateTimeUtc,
    pub value: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

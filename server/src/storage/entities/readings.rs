use sea_orm::entity::prelude::*;

/// One measurement: a node's metric at a timestamp. Unique on (node, metric, ts).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "readings")]
pub struct Model {
    pub tenant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_id: i64,
    /// `shared::Metric::code`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: i16,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ts: DateTimeUtc,
    pub value: f64,
    /// Bit flags from the source (0 = good).
    pub quality: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A district metered area (DMA), with the inputs of the IWA water balance.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "districts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    /// Length of mains, km (Lm).
    pub mains_length_km: Option<f64>,
    /// Number of service connections (Nc).
    pub service_connections: Option<i32>,
    /// Customer-side pipe length from property boundary to meter, km (Lp).
    pub customer_pipe_km: Option<f64>,
    /// Average operating pressure, bar.
    pub avg_pressure_bar: Option<f64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A sensor location in a tenant's network.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "nodes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    /// The id the source system uses (e.g. `P01`), unique per tenant.
    pub external_id: String,
    pub name: String,
    /// See `shared::NodeKind`.
    pub kind: String,
    pub district_id: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub elevation: Option<f64>,
    /// Free-form attributes from the source (JSON object).
    pub metadata: Option<Json>,
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

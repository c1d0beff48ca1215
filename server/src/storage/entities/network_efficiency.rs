use sea_orm::entity::prelude::*;

/// The network efficiency job's figures for one district (`""`: whole network) and period.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "network_efficiency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub district: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub start: DateTimeUtc,
    pub hours_covered: i32,
    pub input_m3: f64,
    pub metered_m3: Option<f64>,
    pub nrw_m3: Option<f64>,
    pub nrw_pct: Option<f64>,
    pub nrw_l_conn_day: Option<f64>,
    pub mnf_lps: Option<f64>,
    pub nnf_lps: Option<f64>,
    pub real_losses_m3: Option<f64>,
    pub uarl_m3: Option<f64>,
    pub ili: Option<f64>,
    pub avg_pressure_bar: Option<f64>,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

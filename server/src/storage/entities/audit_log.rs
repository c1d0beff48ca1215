use sea_orm::entity::prelude::*;

/// One audited action.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Tenant the action concerns (none for e.g. a failed login of an unknown email).
    pub tenant_id: Option<i64>,
    /// Acting user, when known.
    pub user_id: Option<i64>,
    /// Who, as shown (email).
    pub actor: String,
    /// What (`login`, `login_failed`, `logout`, `tenant_switch`, …).
    pub action: String,
    /// On what, when it applies.
    pub target: Option<String>,
    /// From which address.
    pub ip: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Writing and reading the audit log. Writing never fails the audited action: a storage
//! problem is logged instead.

use crate::storage::entities::audit_log;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};

/// One thing to record.
pub struct Event<'a> {
    /// Tenant concerned.
    pub tenant_id: Option<i64>,
    /// Acting user.
    pub user_id: Option<i64>,
    /// Who, as shown.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// On what.
    pub target: Option<String>,
    /// From where.
    pub ip: Option<String>,
}

/// Appends `event` to the audit log.
pub async fn record(db: &DatabaseConnection, event: Event<'_>) {
    let row = audit_log::ActiveModel {
        tenant_id: Set(event.tenant_id),
        user_id: Set(event.user_id),
        actor: Set(event.actor.chars().take(254).collect()),
        action: Set(event.action.to_owned()),
        target: Set(event.target.map(|t| t.chars().take(254).collect())),
        ip: Set(event.ip),
        at: Set(Utc::now()),
        ..Default::default()
    };
    if let Err(e) = row.insert(db).await {
        tracing::error!(error = %e, action = event.action, "audit log write failed");
    }
}

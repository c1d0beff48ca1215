//! The incidents port: lists for everyone in the tenant, acknowledge and resolve for operators,
//! each action in the audit log.

use super::store;
use crate::auth::audit::{self, Event};
use crate::error::OrInternal;
use crate::storage::entities::{incidents, nodes};
use crate::storage::tenant_scope;
use app::ssr::{AnomaliesPort, Caller};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use shared::anomaly::{Incident, IncidentAction, IncidentFilter, IncidentStatus};
use shared::{AppError, Role};
use std::collections::HashMap;

/// Longest comment an operator may attach.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Incidents over the database.
pub struct AnomalyService {
    pub db: DatabaseConnection,
    /// Drops the cached summary when an operator changes an incident's status.
    pub live: Option<crate::live::Live>,
}

impl AnomalyService {
    async fn node_ids(
        db: &impl ConnectionTrait,
        tenant_id: i64,
    ) -> Result<HashMap<String, i64>, AppError> {
        Ok(nodes::Entity::find()
            .filter(nodes::Column::TenantId.eq(tenant_id))
            .all(db)
            .await
            .or_internal("reading nodes")?
            .into_iter()
            .map(|n| (n.external_id, n.id))
            .collect())
    }

    async fn row(
        db: &impl ConnectionTrait,
        caller: &Caller,
        id: i64,
    ) -> Result<incidents::Model, AppError> {
        incidents::Entity::find_by_id(id)
            .filter(incidents::Column::TenantId.eq(caller.tenant.id))
            .one(db)
            .await
            .or_internal("reading an incident")?
            .ok_or_else(|| AppError::not_found("incident"))
    }

    async fn wire(
        db: &impl ConnectionTrait,
        caller: &Caller,
        row: incidents::Model,
    ) -> Result<Incident, AppError> {
        let ids = Self::node_ids(db, caller.tenant.id).await?;
        store::to_wire(row, &ids).ok_or_else(|| AppError::Internal {
            reference: "incident-kind".into(),
        })
    }
}

#[async_trait]
impl AnomaliesPort for AnomalyService {
    async fn list(
        &self,
        caller: &Caller,
        filter: IncidentFilter,
    ) -> Result<Vec<Incident>, AppError> {
        caller.require_read()?;
        let db = &tenant_scope::open(&self.db, caller.tenant.id).await?;
        let rows = store::list(db, caller.tenant.id, &filter)
            .await
            .or_internal("listing incidents")?;
        let ids = Self::node_ids(db, caller.tenant.id).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| store::to_wire(r, &ids))
            .collect())
    }

    async fn get(&self, caller: &Caller, id: i64) -> Result<Incident, AppError> {
        caller.require_read()?;
        let db = &tenant_scope::open(&self.db, caller.tenant.id).await?;
        let row = Self::row(db, caller, id).await?;
        Self::wire(db, caller, row).await
    }

    async fn act(
        &self,
        caller: &Caller,
        id: i64,
        action: IncidentAction,
        comment: Option<String>,
        ip: Option<String>,
    ) -> Result<Incident, AppError> {
        caller.require(Role::Operator)?;
        let comment = comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
        {
            return Err(AppError::validation(
                "comment",
                format!("at most {MAX_COMMENT_CHARS} characters"),
            ));
        }
        let (writer, txn) = tenant_scope::begin_write(&self.db, caller.tenant.id)
            .await
            .or_internal("opening a tenant scope")?;
        let row = Self::row(&txn, caller, id).await?;
        let status = IncidentStatus::parse(&row.status).unwrap_or(IncidentStatus::Open);
        let now = Utc::now();
        let who = if caller.display_name.is_empty() {
            caller.email.clone()
        } else {
            caller.display_name.clone()
        };
        let mut update: incidents::ActiveModel = row.clone().into();
        match (action, status) {
            (_, IncidentStatus::Resolved) => {
                return Err(AppError::Conflict {
                    message: "the incident is already resolved".into(),
                })
            }
            (IncidentAction::Acknowledge, IncidentStatus::Acknowledged) => {
                return Err(AppError::Conflict {
                    message: "the incident is already acknowledged".into(),
                })
            }
            (IncidentAction::Acknowledge, _) => {
                update.status = Set(IncidentStatus::Acknowledged.as_str().into());
                update.acknowledged_by = Set(Some(who.clone()));
                update.acknowledged_at = Set(Some(now));
            }
            (IncidentAction::Resolve, _) => {
                update.status = Set(IncidentStatus::Resolved.as_str().into());
                update.resolved_by = Set(Some(who.clone()));
                update.resolved_at = Set(Some(now));
                if row.acknowledged_at.is_none() {
                    update.acknowledged_by = Set(Some(who.clone()));
                    update.acknowledged_at = Set(Some(now));
                }
            }
        }
        if let Some(c) = &comment {
            let line = format!("{} {}: {}", now.format("%Y-%m-%d %H:%M UTC"), who, c);
            update.comment = Set(Some(match &row.comment {
                Some(old) if !old.is_empty() => format!("{old}\n{line}"),
                _ => line,
            }));
        }
        let saved = update
            .update(&txn)
            .await
            .or_internal("updating an incident")?;
        let incident = Self::wire(&txn, caller, saved).await?;
        txn.commit().await.or_internal("updating an incident")?;
        drop(writer);
        if let Some(live) = &self.live {
            live.incidents_changed(caller.tenant.id).await;
        }
        audit::record(
            &self.db,
            Event {
                tenant_id: Some(caller.tenant.id),
                user_id: Some(caller.user_id),
                actor: &caller.email,
                action: match action {
                    IncidentAction::Acknowledge => "incident.acknowledge",
                    IncidentAction::Resolve => "incident.resolve",
                },
                target: Some(format!("incident:{id}")),
                ip,
            },
        )
        .await;
        Ok(incident)
    }
}

//! Per-tenant API keys: created and revoked by tenant admins, shown once, stored as SHA-256,
//! scoped to `read` and/or `ingest`.

use super::audit::{self, Event};
use super::token;
use crate::error::OrInternal;
use crate::storage::entities::{api_keys, tenants};
use app::ssr::{ApiKeyAccess, Caller};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use shared::auth::{ApiKeyInfo, ApiKeyScope, CreatedApiKey, NewApiKey, TenantRef};
use shared::{AppError, Role};

/// Every API key starts with this, so a key is told apart from a session token.
pub const KEY_PREFIX: &str = "rw_";

fn scopes_text(scopes: &[ApiKeyScope]) -> String {
    let mut names: Vec<&str> = scopes
        .iter()
        .map(|s| match s {
            ApiKeyScope::Read => "read",
            ApiKeyScope::Ingest => "ingest",
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

fn scopes_of(text: &str) -> Vec<ApiKeyScope> {
    text.split(',')
        .filter_map(|s| match s {
            "read" => Some(ApiKeyScope::Read),
            "ingest" => Some(ApiKeyScope::Ingest),
            _ => None,
        })
        .collect()
}

fn info(key: api_keys::Model) -> ApiKeyInfo {
    ApiKeyInfo {
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        scopes: scopes_of(&key.scopes),
        created_at: key.created_at,
        last_used_at: key.last_used_at,
        revoked_at: key.revoked_at,
    }
}

/// Creates a key for the caller's tenant.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    request: NewApiKey,
    ip: Option<String>,
) -> Result<CreatedApiKey, AppError> {
    caller.require(Role::Admin)?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::validation("name", "must be 1 to 100 characters"));
    }
    if request.scopes.is_empty() {
        return Err(AppError::validation(
            "scopes",
            "at least one of read, ingest",
        ));
    }
    let key = format!("{KEY_PREFIX}{}", token::generate());
    let row = api_keys::ActiveModel {
        tenant_id: Set(caller.tenant.id),
        name: Set(name.to_owned()),
        prefix: Set(key[..10].to_owned()),
        key_hash: Set(token::digest(&key)),
        scopes: Set(scopes_text(&request.scopes)),
        created_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_internal("creating an API key")?;
    audit::record(
        db,
        Event {
            tenant_id: Some(caller.tenant.id),
            user_id: Some(caller.user_id),
            actor: &caller.email,
            action: "api_key_created",
            target: Some(format!("{} ({})", row.name, row.prefix)),
            ip,
        },
    )
    .await;
    Ok(CreatedApiKey {
        info: info(row),
        key,
    })
}

/// The tenant's keys, newest first.
pub async fn list(db: &DatabaseConnection, caller: &Caller) -> Result<Vec<ApiKeyInfo>, AppError> {
    caller.require(Role::Admin)?;
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::TenantId.eq(caller.tenant.id))
        .order_by_desc(api_keys::Column::Id)
        .all(db)
        .await
        .or_internal("listing API keys")?
        .into_iter()
        .map(info)
        .collect())
}

/// Revokes a key of the caller's tenant.
pub async fn revoke(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    ip: Option<String>,
) -> Result<(), AppError> {
    caller.require(Role::Admin)?;
    let key = api_keys::Entity::find_by_id(id)
        .filter(api_keys::Column::TenantId.eq(caller.tenant.id))
        .one(db)
        .await
        .or_internal("loading an API key")?
        .ok_or_else(|| AppError::not_found("API key"))?;
    if key.revoked_at.is_none() {
        let mut active: api_keys::ActiveModel = key.clone().into();
        active.revoked_at = Set(Some(Utc::now()));
        active.update(db).await.or_internal("revoking an API key")?;
        audit::record(
            db,
            Event {
                tenant_id: Some(caller.tenant.id),
                user_id: Some(caller.user_id),
                actor: &caller.email,
                action: "api_key_revoked",
                target: Some(format!("{} ({})", key.name, key.prefix)),
                ip,
            },
        )
        .await;
    }
    Ok(())
}

/// The caller behind an API key; `tenant` (from `X-Tenant-ID`) must name the key's tenant.
pub async fn authenticate(
    db: &DatabaseConnection,
    key: &str,
    tenant: Option<&str>,
) -> Result<Caller, AppError> {
    let row = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(token::digest(key)))
        .filter(api_keys::Column::RevokedAt.is_null())
        .one(db)
        .await
        .or_internal("resolving an API key")?
        .ok_or(AppError::Unauthenticated)?;
    let owner = tenants::Entity::find_by_id(row.tenant_id)
        .one(db)
        .await
        .or_internal("loading a key's tenant")?
        .ok_or(AppError::Unauthenticated)?;
    if let Some(wanted) = tenant.map(str::trim) {
        if wanted != owner.slug && wanted != owner.id.to_string() {
            return Err(AppError::Forbidden);
        }
    }
    // Record use at most once a minute: a busy integration must not cost a write per call.
    let now = Utc::now();
    if row
        .last_used_at
        .is_none_or(|at| now - at > chrono::Duration::minutes(1))
    {
        let mut used: api_keys::ActiveModel = row.clone().into();
        used.last_used_at = Set(Some(now));
        if let Err(e) = used.update(db).await {
            tracing::warn!(error = %e, "could not record API key use");
        }
    }
    let scopes = scopes_of(&row.scopes);
    Ok(Caller {
        user_id: row.created_by,
        email: format!("api-key:{}", row.prefix),
        display_name: format!("API key {}", row.name),
        tenant: TenantRef {
            id: owner.id,
            slug: owner.slug,
            name: owner.name,
        },
        role: Role::Viewer,
        api_key: Some(ApiKeyAccess {
            id: row.id,
            read: scopes.contains(&ApiKeyScope::Read),
            ingest: scopes.contains(&ApiKeyScope::Ingest),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_sorted_and_unique() {
        let text = scopes_text(&[ApiKeyScope::Ingest, ApiKeyScope::Read, ApiKeyScope::Ingest]);
        assert_eq!(text, "ingest,read");
        assert_eq!(scopes_of(&text), [ApiKeyScope::Ingest, ApiKeyScope::Read]);
    }
}

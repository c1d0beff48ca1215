//! A tenant's members: admins list them, change their roles and remove them; a member may
//! leave. A tenant never loses its last admin, and every change is audited.

use super::audit::{self, Event};
use crate::error::OrInternal;
use crate::storage::entities::{memberships, users};
use app::ssr::Caller;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use shared::auth::Member;
use shared::{AppError, Role};

/// The caller's tenant's members, by name (admin).
pub async fn list(db: &DatabaseConnection, caller: &Caller) -> Result<Vec<Member>, AppError> {
    caller.require(Role::Admin)?;
    let rows = memberships::Entity::find()
        .filter(memberships::Column::TenantId.eq(caller.tenant.id))
        .find_also_related(users::Entity)
        .all(db)
        .await
        .or_internal("listing members")?;
    let mut out: Vec<Member> = rows
        .into_iter()
        .filter_map(|(m, u)| {
            let u = u?;
            Some(Member {
                user_id: u.id,
                email: u.email,
                display_name: u.display_name,
                role: m.role.parse().ok()?,
                joined_at: m.created_at,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.display_name
            .cmp(&b.display_name)
            .then(a.user_id.cmp(&b.user_id))
    });
    Ok(out)
}

async fn membership(
    db: &DatabaseConnection,
    caller: &Caller,
    user_id: i64,
) -> Result<(memberships::Model, users::Model), AppError> {
    let (m, u) = memberships::Entity::find()
        .filter(memberships::Column::TenantId.eq(caller.tenant.id))
        .filter(memberships::Column::UserId.eq(user_id))
        .find_also_related(users::Entity)
        .one(db)
        .await
        .or_internal("loading a member")?
        .ok_or_else(|| AppError::not_found("member"))?;
    Ok((m, u.ok_or_else(|| AppError::not_found("member"))?))
}

/// Refuses when `m` is the tenant's only admin.
async fn keep_an_admin(db: &DatabaseConnection, m: &memberships::Model) -> Result<(), AppError> {
    if m.role != Role::Admin.as_str() {
        return Ok(());
    }
    let admins = memberships::Entity::find()
        .filter(memberships::Column::TenantId.eq(m.tenant_id))
        .filter(memberships::Column::Role.eq(Role::Admin.as_str()))
        .count(db)
        .await
        .or_internal("counting admins")?;
    if admins <= 1 {
        return Err(AppError::Conflict {
            message: "a tenant keeps at least one admin: make someone else admin first".into(),
        });
    }
    Ok(())
}

/// Gives member `user_id` the role `role` (admin; 404 for someone outside the tenant).
pub async fn set_role(
    db: &DatabaseConnection,
    caller: &Caller,
    user_id: i64,
    role: Role,
    ip: Option<String>,
) -> Result<Member, AppError> {
    caller.require(Role::Admin)?;
    let (m, u) = membership(db, caller, user_id).await?;
    if m.role != role.as_str() {
        if role != Role::Admin {
            keep_an_admin(db, &m).await?;
        }
        memberships::Entity::update_many()
            .col_expr(memberships::Column::Role, Expr::value(role.as_str()))
            .filter(memberships::Column::TenantId.eq(caller.tenant.id))
            .filter(memberships::Column::UserId.eq(user_id))
            .exec(db)
            .await
            .or_internal("changing a role")?;
        audit::record(
            db,
            Event {
                tenant_id: Some(caller.tenant.id),
                user_id: Some(caller.user_id),
                actor: &caller.email,
                action: "role_changed",
                target: Some(format!("{}: {} → {}", u.email, m.role, role.as_str())),
                ip,
            },
        )
        .await;
    }
    Ok(Member {
        user_id: u.id,
        email: u.email,
        display_name: u.display_name,
        role,
        joined_at: m.created_at,
    })
}

/// Removes member `user_id` from the tenant (admin; their account and other tenants stay).
pub async fn remove(
    db: &DatabaseConnection,
    caller: &Caller,
    user_id: i64,
    ip: Option<String>,
) -> Result<(), AppError> {
    caller.require(Role::Admin)?;
    let (m, u) = membership(db, caller, user_id).await?;
    keep_an_admin(db, &m).await?;
    memberships::Entity::delete_many()
        .filter(memberships::Column::TenantId.eq(caller.tenant.id))
        .filter(memberships::Column::UserId.eq(user_id))
        .exec(db)
        .await
        .or_internal("removing a member")?;
    audit::record(
        db,
        Event {
            tenant_id: Some(caller.tenant.id),
            user_id: Some(caller.user_id),
            actor: &caller.email,
            action: "member_removed",
            target: Some(u.email),
            ip,
        },
    )
    .await;
    Ok(())
}

/// The caller leaves `caller.tenant` themselves (any role). Never the tenant's last admin
/// (they hand the role on first), never the person's last tenant (an account always has one
/// to act in).
pub async fn leave(
    db: &DatabaseConnection,
    caller: &Caller,
    ip: Option<String>,
) -> Result<(), AppError> {
    let (m, u) = membership(db, caller, caller.user_id).await?;
    let held = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(caller.user_id))
        .count(db)
        .await
        .or_internal("counting memberships")?;
    if held <= 1 {
        return Err(AppError::Conflict {
            message: "this is your only tenant: an account keeps at least one".into(),
        });
    }
    keep_an_admin(db, &m).await?;
    memberships::Entity::delete_many()
        .filter(memberships::Column::TenantId.eq(caller.tenant.id))
        .filter(memberships::Column::UserId.eq(caller.user_id))
        .exec(db)
        .await
        .or_internal("leaving a tenant")?;
    audit::record(
        db,
        Event {
            tenant_id: Some(caller.tenant.id),
            user_id: Some(caller.user_id),
            actor: &caller.email,
            action: "member_left",
            target: Some(u.email),
            ip,
        },
    )
    .await;
    Ok(())
}

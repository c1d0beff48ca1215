//! New accounts: either a new tenant with its first admin, or joining a tenant with an
//! invitation code. Both happen in one transaction with the membership they create.

use super::audit::{self, Event};
use super::{password, token};
use crate::error::OrInternal;
use crate::storage::entities::{invitations, memberships, tenants, users};
use app::ssr::Caller;
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use shared::auth::{
    CreatedInvitation, Enrolment, NewInvitation, RegisterRequest, TenantMembership, TenantRef,
};
use shared::{password_policy, validate, AppError, Role};

/// How long an invitation code works.
const INVITATION_DAYS: i64 = 7;

/// A URL-safe slug from a display name (`Acqua Sud S.p.A.` → `acqua-sud-s-p-a`).
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(48).collect();
    if slug.is_empty() {
        "tenant".into()
    } else {
        slug
    }
}

async fn free_slug(txn: &DatabaseTransaction, base: &str) -> Result<String, AppError> {
    for n in 1..1_000 {
        let candidate = if n == 1 {
            base.to_owned()
        } else {
            format!("{base}-{n}")
        };
        let taken = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(&candidate))
            .one(txn)
            .await
            .or_internal("checking a slug")?
            .is_some();
        if !taken {
            return Ok(candidate);
        }
    }
    Err(AppError::validation(
        "tenant_name",
        "choose a more distinctive name",
    ))
}

/// Creates the account; returns (user id, tenant id) of the new membership.
pub async fn register(
    db: &DatabaseConnection,
    request: RegisterRequest,
    ip: Option<String>,
) -> Result<(i64, i64), AppError> {
    let email = validate::email(&request.email)?;
    let display_name = request.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(AppError::validation(
            "display_name",
            "must be 1 to 200 characters",
        ));
    }
    password_policy::check(&request.password, &email)?;
    let pw = request.password.clone();
    let phc = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .or_internal("hashing a password")?
        .or_internal("hashing a password")?;
    let (_writer, txn) = crate::storage::begin_write(db)
        .await
        .or_internal("starting a registration")?;
    let exists = users::Entity::find()
        .filter(users::Column::Email.eq(&email))
        .one(&txn)
        .await
        .or_internal("checking an email")?
        .is_some();
    if exists {
        return Err(AppError::validation(
            "email",
            "is already registered; sign in instead",
        ));
    }
    let now = Utc::now();
    let user = users::ActiveModel {
        email: Set(email.clone()),
        display_name: Set(display_name),
        password_hash: Set(users::PasswordHash(phc)),
        disabled: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .or_internal("creating a user")?;
    let (tenant_id, role, action) = match request.enrolment {
        Enrolment::CreateTenant { tenant_name } => {
            let name = tenant_name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(AppError::validation(
                    "tenant_name",
                    "must be 1 to 200 characters",
                ));
            }
            let slug = free_slug(&txn, &slugify(name)).await?;
            let tenant = tenants::ActiveModel {
                slug: Set(slug),
                name: Set(name.to_owned()),
                time_zone: Set("Europe/Rome".into()),
                raw_retention_days: Set(90),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .or_internal("creating a tenant")?;
            (tenant.id, Role::Admin, "register_tenant")
        }
        Enrolment::Join { code } => {
            let (tenant_id, role) = redeem(&txn, &code, user.id).await?;
            (tenant_id, role, "register_invited")
        }
    };
    memberships::ActiveModel {
        user_id: Set(user.id),
        tenant_id: Set(tenant_id),
        role: Set(role.as_str().into()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .or_internal("creating a membership")?;
    txn.commit().await.or_internal("finishing a registration")?;
    audit::record(
        db,
        Event {
            tenant_id: Some(tenant_id),
            user_id: Some(user.id),
            actor: &email,
            action,
            target: Some(role.as_str().into()),
            ip,
        },
    )
    .await;
    Ok((user.id, tenant_id))
}

/// Uses up a valid invitation `code` for `user_id`: its tenant and role. Refuses a code
/// of a tenant the user already belongs to, and leaves that code unused.
async fn redeem(
    txn: &DatabaseTransaction,
    code: &str,
    user_id: i64,
) -> Result<(i64, Role), AppError> {
    let now = Utc::now();
    let invitation = invitations::Entity::find()
        .filter(invitations::Column::CodeHash.eq(token::digest(code.trim())))
        .filter(invitations::Column::UsedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(now))
        .one(txn)
        .await
        .or_internal("checking an invitation")?
        .ok_or_else(|| AppError::validation("code", "is invalid, used or expired"))?;
    let member = memberships::Entity::find_by_id((user_id, invitation.tenant_id))
        .one(txn)
        .await
        .or_internal("checking a membership")?;
    if member.is_some() {
        return Err(AppError::validation(
            "code",
            "you already belong to this tenant",
        ));
    }
    let role = invitation
        .role
        .parse::<Role>()
        .or_internal("reading an invitation")?;
    let tenant_id = invitation.tenant_id;
    let mut used: invitations::ActiveModel = invitation.into();
    used.used_at = Set(Some(now));
    used.used_by = Set(Some(user_id));
    used.update(txn).await.or_internal("using an invitation")?;
    Ok((tenant_id, role))
}

/// A signed-in person joins another tenant with an invitation code (people may belong to
/// several tenants, with a role in each). Their current tenant does not change.
pub async fn join(
    db: &DatabaseConnection,
    caller: &Caller,
    code: &str,
    ip: Option<String>,
) -> Result<TenantMembership, AppError> {
    if caller.api_key.is_some() {
        return Err(AppError::Forbidden);
    }
    if code.trim().is_empty() {
        return Err(AppError::validation("code", "is required"));
    }
    let (writer, txn) = crate::storage::begin_write(db)
        .await
        .or_internal("joining a tenant")?;
    let (tenant_id, role) = redeem(&txn, code, caller.user_id).await?;
    memberships::ActiveModel {
        user_id: Set(caller.user_id),
        tenant_id: Set(tenant_id),
        role: Set(role.as_str().into()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .or_internal("creating a membership")?;
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await
        .or_internal("reading a tenant")?
        .ok_or_else(|| AppError::not_found("tenant"))?;
    txn.commit().await.or_internal("joining a tenant")?;
    drop(writer);
    audit::record(
        db,
        Event {
            tenant_id: Some(tenant_id),
            user_id: Some(caller.user_id),
            actor: &caller.email,
            action: "join_tenant",
            target: Some(role.as_str().into()),
            ip,
        },
    )
    .await;
    Ok(TenantMembership {
        tenant: TenantRef {
            id: tenant.id,
            slug: tenant.slug,
            name: tenant.name,
        },
        role,
    })
}

/// Creates an invitation to the caller's tenant.
pub async fn invite(
    db: &DatabaseConnection,
    caller: &Caller,
    request: NewInvitation,
    ip: Option<String>,
) -> Result<CreatedInvitation, AppError> {
    caller.require(Role::Admin)?;
    let code = token::generate();
    let now = Utc::now();
    let expires_at = now + Duration::days(INVITATION_DAYS);
    invitations::ActiveModel {
        tenant_id: Set(caller.tenant.id),
        code_hash: Set(token::digest(&code)),
        role: Set(request.role.as_str().into()),
        created_by: Set(caller.user_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        used_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_internal("creating an invitation")?;
    audit::record(
        db,
        Event {
            tenant_id: Some(caller.tenant.id),
            user_id: Some(caller.user_id),
            actor: &caller.email,
            action: "invitation_created",
            target: Some(request.role.as_str().into()),
            ip,
        },
    )
    .await;
    Ok(CreatedInvitation {
        code,
        role: request.role,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Acqua Sud S.p.A."), "acqua-sud-s-p-a");
        assert_eq!(slugify("  --  "), "tenant");
        assert_eq!(slugify("Abbanoa · Cagliari"), "abbanoa-cagliari");
    }
}

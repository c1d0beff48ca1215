//! The auth port's implementation over the database.

use super::{password, token};
use crate::error::OrInternal;
use crate::storage::entities::{memberships, sessions, users};
use crate::storage::sql::stmt;
use app::ssr::{AuthPort, Caller, IssuedSession, LoginAttempt, SessionToken};
use async_trait::async_trait;
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder,
};
use shared::auth::TenantRef;
use shared::{validate, AppError, Role};

/// Sessions stored in the database (works for one process and for many replicas).
#[derive(Clone)]
pub struct AuthService {
    db: DatabaseConnection,
    ttl: Duration,
}

#[derive(FromQueryResult)]
struct SessionRow {
    user_id: i64,
    tenant_id: i64,
    email: String,
    display_name: String,
    slug: String,
    tenant_name: String,
    role: String,
}

impl AuthService {
    /// Sessions last `ttl_hours`.
    pub fn new(db: DatabaseConnection, ttl_hours: i64) -> Self {
        Self {
            db,
            ttl: Duration::hours(ttl_hours.max(1)),
        }
    }

    async fn caller_for(&self, token_hash: &str) -> Result<Option<Caller>, AppError> {
        let backend = self.db.get_database_backend();
        let row = SessionRow::find_by_statement(stmt(
            backend,
            "SELECT s.user_id, s.tenant_id, u.email, u.display_name, t.slug, \
                    t.name AS tenant_name, m.role \
             FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             JOIN tenants t ON t.id = s.tenant_id \
             JOIN memberships m ON m.user_id = s.user_id AND m.tenant_id = s.tenant_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = ?",
            vec![token_hash.into(), Utc::now().into(), false.into()],
        ))
        .one(&self.db)
        .await
        .or_internal("resolving a session")?;
        let Some(row) = row else { return Ok(None) };
        let role = row
            .role
            .parse::<Role>()
            .or_internal("reading a membership role")?;
        Ok(Some(Caller {
            user_id: row.user_id,
            email: row.email,
            display_name: row.display_name,
            tenant: TenantRef {
                id: row.tenant_id,
                slug: row.slug,
                name: row.tenant_name,
            },
            role,
        }))
    }
}

#[async_trait]
impl AuthPort for AuthService {
    async fn login(&self, attempt: LoginAttempt) -> Result<IssuedSession, AppError> {
        let email = validate::email(&attempt.email)?;
        validate::password_present(&attempt.password)?;
        let user = users::Entity::find()
            .filter(users::Column::Email.eq(&email))
            .one(&self.db)
            .await
            .or_internal("looking up a user")?;
        let pw = attempt.password;
        let verified = match user {
            Some(user) if !user.disabled => {
                let phc = user.password_hash.0.clone();
                let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &phc))
                    .await
                    .or_internal("verifying a password")?;
                ok.then_some(user)
            }
            _ => {
                tokio::task::spawn_blocking(move || password::verify_dummy(&pw))
                    .await
                    .or_internal("verifying a password")?;
                None
            }
        };
        let Some(user) = verified else {
            tracing::info!(%email, "failed login");
            return Err(AppError::InvalidCredentials);
        };
        let membership = memberships::Entity::find()
            .filter(memberships::Column::UserId.eq(user.id))
            .order_by_asc(memberships::Column::TenantId)
            .one(&self.db)
            .await
            .or_internal("loading memberships")?
            .ok_or(AppError::Forbidden)?;
        let clear = token::generate();
        let hash = token::digest(&clear);
        let now = Utc::now();
        sessions::Entity::insert(sessions::ActiveModel {
            token_hash: Set(hash.clone()),
            user_id: Set(user.id),
            tenant_id: Set(membership.tenant_id),
            created_at: Set(now),
            expires_at: Set(now + self.ttl),
            ip: Set(attempt.ip),
        })
        .exec_without_returning(&self.db)
        .await
        .or_internal("storing a session")?;
        let caller = self
            .caller_for(&hash)
            .await?
            .ok_or_else(|| crate::error::internal("login", &"session vanished after insert"))?;
        tracing::info!(user_id = user.id, tenant = %caller.tenant.slug, "login");
        Ok(IssuedSession {
            token: SessionToken::new(clear),
            expires_in_secs: self.ttl.num_seconds(),
            caller,
        })
    }

    async fn authenticate(&self, token: &str) -> Result<Caller, AppError> {
        if token.is_empty() || token.len() > 128 {
            return Err(AppError::Unauthenticated);
        }
        self.caller_for(&token::digest(token))
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    async fn logout(&self, token: &str) -> Result<(), AppError> {
        sessions::Entity::delete_by_id(token::digest(token))
            .exec(&self.db)
            .await
            .or_internal("deleting a session")?;
        Ok(())
    }
}

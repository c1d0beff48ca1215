//! The auth port's implementation over the database.

use super::audit::{self, Event};
use super::jwt::JwtKeys;
use super::throttle::Throttle;
use super::{api_keys, members, password, registration, token};
use crate::auth::sessions::SessionStore;
use crate::error::OrInternal;
use crate::storage::entities::{audit_log, memberships, sessions, users};
use crate::storage::sql::stmt;
use app::ssr::{AuthPort, Caller, IssuedSession, LoginAttempt};
use async_trait::async_trait;
use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
};
use shared::auth::{
    ApiKeyInfo, AuditEntry, CreatedApiKey, CreatedInvitation, NewApiKey, NewInvitation,
    RegisterRequest, TenantMembership, TenantRef,
};
use shared::{validate, AppError, Role};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Token lifetimes and the refresh-token reuse policy.
#[derive(Debug, Clone, Copy)]
pub struct TokenPolicy {
    /// How long a session (its family of refresh tokens) lasts.
    pub session: Duration,
    /// How long an access token lasts.
    pub access: Duration,
    /// How long after its first use a refresh token may be presented again (parallel
    /// requests of one browser) before a reuse counts as theft.
    pub reuse_grace: Duration,
}

/// Accounts, sessions and keys. Each session is a token family, named in its access tokens
/// (`sid`) and owning its refresh tokens; sessions live in Redis or in the database
/// ([`SessionStore`]), shared by every replica either way.
#[derive(Clone)]
pub struct AuthService {
    db: DatabaseConnection,
    store: SessionStore,
    policy: TokenPolicy,
    keys: Arc<OnceCell<JwtKeys>>,
    throttle: Throttle,
}

struct SessionRow {
    user_id: i64,
    tenant_id: i64,
    email: String,
    display_name: String,
}

#[derive(FromQueryResult)]
struct MembershipRow {
    id: i64,
    slug: String,
    name: String,
    role: String,
}

impl MembershipRow {
    fn into_membership(self) -> Result<TenantMembership, AppError> {
        Ok(TenantMembership {
            role: self
                .role
                .parse::<Role>()
                .or_internal("reading a membership role")?,
            tenant: TenantRef {
                id: self.id,
                slug: self.slug,
                name: self.name,
            },
        })
    }
}

mod tokens;

impl AuthService {
    /// `keys` from configuration, or `None` to use (and at first start create) the key kept
    /// in the database.
    pub fn new(
        db: DatabaseConnection,
        store: SessionStore,
        policy: TokenPolicy,
        keys: Option<JwtKeys>,
        throttle: Throttle,
    ) -> Self {
        Self {
            db,
            store,
            policy,
            keys: Arc::new(OnceCell::new_with(keys)),
            throttle,
        }
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, AppError> {
        let Some(session) = self.store.get(token_hash).await? else {
            return Ok(None);
        };
        let user = users::Entity::find_by_id(session.user_id)
            .filter(users::Column::Disabled.eq(false))
            .one(&self.db)
            .await
            .or_internal("resolving a session")?;
        Ok(user.map(|u| SessionRow {
            user_id: u.id,
            tenant_id: session.tenant_id,
            email: u.email,
            display_name: u.display_name,
        }))
    }

    /// The user's memberships, optionally only the one matching `tenant` (id or slug).
    async fn memberships(
        &self,
        user_id: i64,
        tenant: Option<&str>,
    ) -> Result<Vec<TenantMembership>, AppError> {
        let backend = self.db.get_database_backend();
        let base = "SELECT t.id, t.slug, t.name, m.role FROM memberships m \
                    JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = ?";
        let statement = match tenant {
            None => stmt(
                backend,
                &format!("{base} ORDER BY t.name"),
                vec![user_id.into()],
            ),
            Some(wanted) => match wanted.trim().parse::<i64>() {
                Ok(id) => stmt(
                    backend,
                    &format!("{base} AND t.id = ?"),
                    vec![user_id.into(), id.into()],
                ),
                Err(_) => stmt(
                    backend,
                    &format!("{base} AND t.slug = ?"),
                    vec![user_id.into(), wanted.trim().into()],
                ),
            },
        };
        MembershipRow::find_by_statement(statement)
            .all(&self.db)
            .await
            .or_internal("loading memberships")?
            .into_iter()
            .map(MembershipRow::into_membership)
            .collect()
    }

    /// Opens a new session (token family) for `user_id` in `tenant_id` and issues its
    /// first tokens. The session id is random and not secret: access tokens name it, signed.
    async fn open_session(
        &self,
        user_id: i64,
        tenant_id: i64,
        ip: Option<String>,
    ) -> Result<IssuedSession, AppError> {
        let now = Utc::now();
        let session = sessions::Model {
            token_hash: token::generate(),
            user_id,
            tenant_id,
            created_at: now,
            expires_at: now + self.policy.session,
            ip,
        };
        self.store.create(&session).await?;
        self.issue(&session).await
    }

    async fn caller_for(&self, sid: &str, tenant: Option<&str>) -> Result<Caller, AppError> {
        let session = self.session(sid).await?.ok_or(AppError::Unauthenticated)?;
        let wanted = tenant.map_or_else(|| session.tenant_id.to_string(), str::to_owned);
        let membership = self
            .memberships(session.user_id, Some(&wanted))
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::Forbidden)?;
        Ok(Caller {
            user_id: session.user_id,
            email: session.email,
            display_name: session.display_name,
            tenant: membership.tenant,
            role: membership.role,
            api_key: None,
        })
    }
}

#[async_trait]
impl AuthPort for AuthService {
    async fn login(&self, attempt: LoginAttempt) -> Result<IssuedSession, AppError> {
        let email = validate::email(&attempt.email)?;
        validate::password_present(&attempt.password)?;
        self.throttle.check(&email, attempt.ip.as_deref()).await?;
        let user = users::Entity::find()
            .filter(users::Column::Email.eq(&email))
            .one(&self.db)
            .await
            .or_internal("looking up a user")?;
        let pw = attempt.password;
        let known = user.as_ref().filter(|u| !u.disabled).cloned();
        let verified = match known {
            Some(user) => {
                let phc = user.password_hash.0.clone();
                let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &phc))
                    .await
                    .or_internal("verifying a password")?;
                ok.then_some(user)
            }
            None => {
                tokio::task::spawn_blocking(move || password::verify_dummy(&pw))
                    .await
                    .or_internal("verifying a password")?;
                None
            }
        };
        let first_membership = |user_id: i64| {
            memberships::Entity::find()
                .filter(memberships::Column::UserId.eq(user_id))
                .order_by_asc(memberships::Column::TenantId)
                .one(&self.db)
        };
        let Some(user) = verified else {
            self.throttle.failed(&email, attempt.ip.as_deref()).await;
            let tenant_id = match &user {
                Some(u) => first_membership(u.id)
                    .await
                    .ok()
                    .flatten()
                    .map(|m| m.tenant_id),
                None => None,
            };
            audit::record(
                &self.db,
                Event {
                    tenant_id,
                    user_id: user.as_ref().map(|u| u.id),
                    actor: &email,
                    action: "login_failed",
                    target: None,
                    ip: attempt.ip.clone(),
                },
            )
            .await;
            tracing::info!(%email, "failed login");
            return Err(AppError::InvalidCredentials);
        };
        self.throttle.succeeded(&email).await;
        let membership = first_membership(user.id)
            .await
            .or_internal("loading memberships")?
            .ok_or(AppError::Forbidden)?;
        let issued = self
            .open_session(user.id, membership.tenant_id, attempt.ip.clone())
            .await?;
        let caller = issued.caller.clone();
        audit::record(
            &self.db,
            Event {
                tenant_id: Some(caller.tenant.id),
                user_id: Some(user.id),
                actor: &caller.email,
                action: "login",
                target: None,
                ip: attempt.ip,
            },
        )
        .await;
        tracing::info!(user_id = user.id, tenant = %caller.tenant.slug, "login");
        Ok(issued)
    }

    async fn register(
        &self,
        request: RegisterRequest,
        ip: Option<String>,
    ) -> Result<IssuedSession, AppError> {
        let (user_id, tenant_id) = registration::register(&self.db, request, ip.clone()).await?;
        self.open_session(user_id, tenant_id, ip).await
    }

    async fn create_invitation(
        &self,
        caller: &Caller,
        request: NewInvitation,
        ip: Option<String>,
    ) -> Result<CreatedInvitation, AppError> {
        registration::invite(&self.db, caller, request, ip).await
    }

    async fn authenticate(&self, token: &str, tenant: Option<&str>) -> Result<Caller, AppError> {
        if token.is_empty() || token.len() > 4096 {
            return Err(AppError::Unauthenticated);
        }
        if token.starts_with(api_keys::KEY_PREFIX) {
            return api_keys::authenticate(&self.db, token, tenant).await;
        }
        let sid = self
            .session_of(token, false)
            .await
            .ok_or(AppError::Unauthenticated)?;
        // The session row must still exist: signing out or a detected token theft ends
        // every access token of the session at once, not only when they expire.
        self.caller_for(&sid, tenant).await
    }

    async fn access_token_current(&self, token: &str) -> bool {
        self.session_of(token, false).await.is_some()
    }

    async fn refresh(
        &self,
        refresh_token: &str,
        ip: Option<String>,
    ) -> Result<IssuedSession, AppError> {
        if refresh_token.is_empty() || refresh_token.len() > 128 {
            return Err(AppError::Unauthenticated);
        }
        let hash = token::digest(refresh_token);
        let now = Utc::now();
        let stored = self
            .store
            .refresh_token(&hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        // Claim the token: exactly one caller can move it from unused to used.
        let claimed = self.store.claim(&hash, now).await?;
        let session = self
            .store
            .get(&stored.session_hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !claimed {
            let used_at = self
                .store
                .refresh_token(&hash)
                .await?
                .and_then(|t| t.used_at);
            let within_grace = used_at.is_some_and(|at| now - at <= self.policy.reuse_grace);
            if !within_grace {
                // A used token came back: someone holds a copy. End the whole family.
                self.end_session(&session.token_hash).await?;
                let email = users::Entity::find_by_id(session.user_id)
                    .one(&self.db)
                    .await
                    .ok()
                    .flatten()
                    .map(|u| u.email)
                    .unwrap_or_default();
                audit::record(
                    &self.db,
                    Event {
                        tenant_id: Some(session.tenant_id),
                        user_id: Some(session.user_id),
                        actor: &email,
                        action: "refresh_token_reused",
                        target: None,
                        ip,
                    },
                )
                .await;
                tracing::warn!(
                    user_id = session.user_id,
                    "a used refresh token was presented again: session revoked"
                );
                return Err(AppError::Unauthenticated);
            }
        }
        self.issue(&session).await
    }

    async fn create_api_key(
        &self,
        caller: &Caller,
        request: NewApiKey,
        ip: Option<String>,
    ) -> Result<CreatedApiKey, AppError> {
        api_keys::create(&self.db, caller, request, ip).await
    }

    async fn list_api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeyInfo>, AppError> {
        api_keys::list(&self.db, caller).await
    }

    async fn revoke_api_key(
        &self,
        caller: &Caller,
        id: i64,
        ip: Option<String>,
    ) -> Result<(), AppError> {
        api_keys::revoke(&self.db, caller, id, ip).await
    }

    async fn logout(
        &self,
        access_token: Option<&str>,
        refresh_token: Option<&str>,
        ip: Option<String>,
    ) -> Result<(), AppError> {
        let mut sid = match access_token {
            Some(token) => self.session_of(token, true).await,
            None => None,
        };
        if let (None, Some(refresh)) = (&sid, refresh_token) {
            sid = self
                .store
                .refresh_token(&token::digest(refresh))
                .await?
                .map(|t| t.session_hash);
        }
        let Some(sid) = sid else {
            return Ok(());
        };
        if let Ok(caller) = self.caller_for(&sid, None).await {
            audit::record(
                &self.db,
                Event {
                    tenant_id: Some(caller.tenant.id),
                    user_id: Some(caller.user_id),
                    actor: &caller.email,
                    action: "logout",
                    target: None,
                    ip,
                },
            )
            .await;
        }
        self.end_session(&sid).await
    }

    async fn tenants(&self, caller: &Caller) -> Result<Vec<TenantMembership>, AppError> {
        self.memberships(caller.user_id, None).await
    }

    async fn join_tenant(
        &self,
        caller: &Caller,
        code: &str,
        ip: Option<String>,
    ) -> Result<TenantMembership, AppError> {
        registration::join(&self.db, caller, code, ip).await
    }

    async fn switch_tenant(
        &self,
        access_token: &str,
        tenant_id: i64,
        ip: Option<String>,
    ) -> Result<Caller, AppError> {
        let sid = self
            .session_of(access_token, false)
            .await
            .ok_or(AppError::Unauthenticated)?;
        let caller = self.caller_for(&sid, Some(&tenant_id.to_string())).await?;
        self.store.set_tenant(&sid, tenant_id).await?;
        audit::record(
            &self.db,
            Event {
                tenant_id: Some(tenant_id),
                user_id: Some(caller.user_id),
                actor: &caller.email,
                action: "tenant_switch",
                target: Some(caller.tenant.slug.clone()),
                ip,
            },
        )
        .await;
        Ok(caller)
    }

    async fn leave_tenant(
        &self,
        access_token: &str,
        tenant_id: i64,
        ip: Option<String>,
    ) -> Result<Caller, AppError> {
        let sid = self
            .session_of(access_token, false)
            .await
            .ok_or(AppError::Unauthenticated)?;
        let leaving = self.caller_for(&sid, Some(&tenant_id.to_string())).await?;
        members::leave(&self.db, &leaving, ip).await?;
        let session = self.session(&sid).await?.ok_or(AppError::Unauthenticated)?;
        if session.tenant_id == tenant_id {
            let next = self
                .memberships(leaving.user_id, None)
                .await?
                .into_iter()
                .next()
                .ok_or(AppError::Forbidden)?;
            self.store.set_tenant(&sid, next.tenant.id).await?;
        }
        self.caller_for(&sid, None).await
    }

    async fn members(&self, caller: &Caller) -> Result<Vec<shared::auth::Member>, AppError> {
        members::list(&self.db, caller).await
    }

    async fn set_member_role(
        &self,
        caller: &Caller,
        user_id: i64,
        role: Role,
        ip: Option<String>,
    ) -> Result<shared::auth::Member, AppError> {
        members::set_role(&self.db, caller, user_id, role, ip).await
    }

    async fn remove_member(
        &self,
        caller: &Caller,
        user_id: i64,
        ip: Option<String>,
    ) -> Result<(), AppError> {
        members::remove(&self.db, caller, user_id, ip).await
    }

    async fn audit_log(&self, caller: &Caller, limit: u64) -> Result<Vec<AuditEntry>, AppError> {
        caller.require(Role::Admin)?;
        let scoped = crate::storage::tenant_scope::open(&self.db, caller.tenant.id).await?;
        Ok(audit_log::Entity::find()
            .filter(audit_log::Column::TenantId.eq(caller.tenant.id))
            .order_by_desc(audit_log::Column::At)
            .order_by_desc(audit_log::Column::Id)
            .limit(limit.clamp(1, 1_000))
            .all(&scoped)
            .await
            .or_internal("reading the audit log")?
            .into_iter()
            .map(|e| AuditEntry {
                at: e.at,
                actor: e.actor,
                action: e.action,
                target: e.target,
                ip: e.ip,
            })
            .collect())
    }
}

//! Who is signed in, and in which tenant.

use crate::Role;
use serde::{Deserialize, Serialize};

/// A tenant (one utility or district operator) as the UI names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantRef {
    /// Database id.
    pub id: i64,
    /// URL-safe short name, unique.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// The signed-in person, their current tenant and their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionUser {
    /// User id.
    pub user_id: i64,
    /// Login email, lower-case.
    pub email: String,
    /// Name shown in the header.
    pub display_name: String,
    /// The tenant whose data this session sees.
    pub tenant: TenantRef,
    /// The role held in that tenant.
    pub role: Role,
}

/// Body of `POST /api/v1/auth/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    /// Login email.
    pub email: String,
    /// Password in clear text (sent over TLS only).
    pub password: String,
}

/// Answer of `POST /api/v1/auth/login` and `/refresh`: tokens for integrators.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Access token (a JWT); send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque refresh token: trade it at `POST /api/v1/auth/refresh` for a new pair. It works
    /// once; presenting it a second time ends the session.
    pub refresh_token: String,
    /// Seconds until the session ends (no refresh after that).
    pub refresh_expires_in: i64,
    /// Who the token belongs to.
    pub user: SessionUser,
}

/// Body of `POST /api/v1/auth/refresh`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh.
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest(<redacted>)")
    }
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("user", &self.user)
            .finish()
    }
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A tenant the signed-in user belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantMembership {
    /// The tenant.
    pub tenant: TenantRef,
    /// The user's role in it.
    pub role: Role,
}

/// Joining another tenant with an invitation code (`POST /api/v1/auth/join`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JoinRequest {
    /// The code an admin of that tenant created.
    pub code: String,
}

impl std::fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinRequest").finish_non_exhaustive()
    }
}

/// What every signed-in page needs: who is signed in, and every tenant they may switch to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentSession {
    /// The person, their current tenant and role.
    pub user: SessionUser,
    /// Every tenant they belong to, with their role in each.
    pub tenants: Vec<TenantMembership>,
}

/// One audit log entry as admins read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who (email).
    pub actor: String,
    /// What (`login`, `login_failed`, `logout`, `tenant_switch`, …).
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// From which address.
    pub ip: Option<String>,
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyScope {
    /// Read the tenant's data.
    Read,
    /// Send readings and nodes.
    Ingest,
}

/// Body of `POST /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewApiKey {
    /// A name saying what the key is for (1–100 characters).
    pub name: String,
    /// At least one scope.
    pub scopes: Vec<ApiKeyScope>,
}

/// An API key as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiKeyInfo {
    /// Key id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// Scopes.
    pub scopes: Vec<ApiKeyScope>,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last used.
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Revoked (a revoked key no longer works).
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A key just created: the only time its secret is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    /// The key's details.
    pub info: ApiKeyInfo,
    /// The key itself; send it as `Authorization: Bearer <key>`. Store it now.
    pub key: String,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey")
            .field("info", &self.info)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// How a new account enters the product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Enrolment {
    /// Create a new tenant and become its admin.
    CreateTenant {
        /// The utility's display name.
        tenant_name: String,
    },
    /// Join an existing tenant with an invitation code from its admin.
    Join {
        /// The invitation code.
        code: String,
    },
}

/// Body of `POST /api/v1/auth/register`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RegisterRequest {
    /// Login email.
    pub email: String,
    /// Password (at least 12 characters, not the email, not a common password).
    pub password: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// New tenant, or invitation.
    pub enrolment: Enrolment,
}

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("enrolment", &self.enrolment)
            .finish_non_exhaustive()
    }
}

/// Body of `POST /api/v1/invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewInvitation {
    /// The role the invited person will hold.
    pub role: Role,
}

/// An invitation just created; the code is shown only now.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedInvitation {
    /// Give this code to the person joining.
    pub code: String,
    /// The role they will hold.
    pub role: Role,
    /// After this the code no longer works.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for CreatedInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInvitation")
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets() {
        let req = LoginRequest {
            email: "a@b.org".into(),
            password: "hunter2-hunter2".into(),
        };
        assert!(!format!("{req:?}").contains("hunter2"));
    }
}

/// A person's membership of the caller's tenant, for the members page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    /// User id.
    pub user_id: i64,
    /// Login email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role in this tenant.
    pub role: Role,
    /// When they joined the tenant.
    pub joined_at: chrono::DateTime<chrono::Utc>,
}

/// Body of `PATCH /api/v1/members/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleChange {
    /// The new role.
    pub role: Role,
}

//! Sessions for integrators: login, logout, who am I, which tenants, the audit log.

use super::extract::{bearer, ApiCaller, ApiJson, ApiPath, ApiQuery, ClientIp};
use crate::error::ApiError;
use crate::state::AppState;
use app::ssr::LoginAttempt;
use axum::extract::State;
use axum::Json;
use shared::auth::{
    AuditEntry, LoginRequest, LoginResponse, RefreshRequest, SessionUser, TenantMembership,
};

/// Exchanges email and password for a bearer token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed body", body = shared::AppError),
        (status = 401, description = "Wrong email or password", body = shared::AppError),
        (status = 415, description = "Body is not JSON", body = shared::AppError),
        (status = 429, description = "Too many failures; see Retry-After", body = shared::AppError),
        (status = 422, description = "Invalid field", body = shared::AppError),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let issued = state
        .services
        .auth
        .login(LoginAttempt {
            email: body.email,
            password: body.password,
            ip,
        })
        .await?;
    Ok(Json(token_response(issued)))
}

/// The wire form of freshly issued tokens.
fn token_response(issued: app::ssr::IssuedSession) -> LoginResponse {
    LoginResponse {
        access_token: issued.access_token.expose().to_owned(),
        token_type: "Bearer".into(),
        expires_in: issued.expires_in_secs,
        refresh_token: issued.refresh_token.expose().to_owned(),
        refresh_expires_in: issued.refresh_expires_in_secs,
        user: issued.caller.session_user(),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access and refresh token; the old refresh token is used up", body = LoginResponse),
        (status = 401, description = "Unknown, expired or already used refresh token (a reused token ends its session)", body = shared::AppError),
        (status = 415, description = "Body is not JSON", body = shared::AppError),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let issued = state.services.auth.refresh(&body.refresh_token, ip).await?;
    Ok(Json(token_response(issued)))
}

/// The caller: user, current tenant (from `X-Tenant-ID` or the session) and role there.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    params(("X-Tenant-ID" = Option<String>, Header, description = "Tenant id or slug to act in")),
    responses(
        (status = 200, description = "The caller", body = SessionUser),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
        (status = 403, description = "Not a member of the requested tenant", body = shared::AppError),
    )
)]
pub async fn me(ApiCaller(caller): ApiCaller) -> Json<SessionUser> {
    Json(caller.session_user())
}

/// Every tenant the caller belongs to, with their role in each.
#[utoipa::path(
    get,
    path = "/api/v1/auth/tenants",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Memberships", body = Vec<TenantMembership>),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
    )
)]
pub async fn tenants(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<TenantMembership>>, ApiError> {
    Ok(Json(state.services.auth.tenants(&caller).await?))
}

/// The signed-in person leaves a tenant (their membership only; never the tenant's last admin,
/// never their last tenant). When it was the session's current tenant the session moves to
/// another of theirs; the answer says where it now acts.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/tenants/{id}",
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Tenant to leave")),
    responses(
        (status = 200, description = "Left; the session's current tenant", body = SessionUser),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
        (status = 403, description = "Not a member of that tenant, or an API key", body = shared::AppError),
        (status = 409, description = "The tenant's last admin, or the person's last tenant", body = shared::AppError),
    )
)]
pub async fn leave(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    headers: axum::http::HeaderMap,
) -> Result<Json<SessionUser>, ApiError> {
    if caller.api_key.is_some() {
        return Err(shared::AppError::Forbidden.into());
    }
    let token = bearer(&headers).ok_or(shared::AppError::Unauthenticated)?;
    let now = state.services.auth.leave_tenant(token, id, ip).await?;
    Ok(Json(now.session_user()))
}

/// The tenant this request acts in (from `X-Tenant-ID`, else the session's).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/current",
    tag = "auth",
    security(("bearer" = [])),
    params(("X-Tenant-ID" = Option<String>, Header, description = "Tenant id or slug to act in")),
    responses(
        (status = 200, description = "The tenant and the caller's role", body = TenantMembership),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
        (status = 403, description = "Not a member of the requested tenant", body = shared::AppError),
    )
)]
pub async fn current_tenant(ApiCaller(caller): ApiCaller) -> Json<TenantMembership> {
    Json(TenantMembership {
        tenant: caller.tenant,
        role: caller.role,
    })
}

/// Ends the session of the bearer token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    ApiCaller(_caller): ApiCaller,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
) -> Result<axum::http::StatusCode, ApiError> {
    let token = bearer(&headers).ok_or(shared::AppError::Unauthenticated)?;
    state.services.auth.logout(Some(token), None, ip).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The current tenant's audit log, newest first (admin role).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "auth",
    security(("bearer" = [])),
    params(("limit" = Option<u64>, Query, description = "Entries (1–1000, default 100)")),
    responses(
        (status = 200, description = "Entries", body = Vec<AuditEntry>),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
        (status = 403, description = "Not an admin of the tenant", body = shared::AppError),
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(
        state
            .services
            .auth
            .audit_log(&caller, query.limit.unwrap_or(100))
            .await?,
    ))
}

/// Query string of the audit route.
#[derive(Debug, serde::Deserialize)]
pub struct AuditQuery {
    /// Entries to return.
    pub limit: Option<u64>,
}

/// Creates an account: a new tenant with you as admin, or joining one with an invitation
/// code. Answers with a bearer token, as login does.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    request_body = shared::auth::RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = LoginResponse),
        (status = 422, description = "Invalid email, password, name or invitation code", body = shared::AppError),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<shared::auth::RegisterRequest>,
) -> Result<(axum::http::StatusCode, Json<LoginResponse>), ApiError> {
    let issued = state.services.auth.register(body, ip).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(token_response(issued)),
    ))
}

/// The caller joins another tenant with an invitation code its admin created; the current
/// tenant stays as it was (switch with `X-Tenant-ID` or the tenant switcher).
#[utoipa::path(
    post,
    path = "/api/v1/auth/join",
    tag = "auth",
    security(("bearer" = [])),
    request_body = shared::auth::JoinRequest,
    responses(
        (status = 201, description = "Joined: the tenant and the role there", body = TenantMembership),
        (status = 403, description = "API keys cannot join tenants", body = shared::AppError),
        (status = 422, description = "Code invalid, used, expired, or of a tenant already joined", body = shared::AppError),
    )
)]
pub async fn join(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<shared::auth::JoinRequest>,
) -> Result<(axum::http::StatusCode, Json<TenantMembership>), ApiError> {
    let joined = state
        .services
        .auth
        .join_tenant(&caller, &body.code, ip)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(joined)))
}

/// Creates an invitation code to the current tenant with a role (admin); valid 7 days, once.
#[utoipa::path(
    post,
    path = "/api/v1/invitations",
    tag = "auth",
    security(("bearer" = [])),
    request_body = shared::auth::NewInvitation,
    responses(
        (status = 201, description = "Created; hand the code to the person joining", body = shared::auth::CreatedInvitation),
        (status = 403, description = "Not an admin of the tenant", body = shared::AppError),
    )
)]
pub async fn invite(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<shared::auth::NewInvitation>,
) -> Result<
    (
        axum::http::StatusCode,
        Json<shared::auth::CreatedInvitation>,
    ),
    ApiError,
> {
    let created = state
        .services
        .auth
        .create_invitation(&caller, body, ip)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(created)))
}

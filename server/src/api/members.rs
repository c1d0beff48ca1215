//! `/api/v1/members`: tenant admins list members, change their roles and remove them.

use super::extract::{ApiCaller, ApiJson, ApiPath, ClientIp};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::auth::{Member, RoleChange};
use shared::AppError;

/// The tenant's members and their roles (admin).
#[utoipa::path(
    get,
    path = "/api/v1/members",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Members by name", body = Vec<Member>),
        (status = 403, description = "Not an admin of the tenant", body = AppError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<Member>>, ApiError> {
    Ok(Json(state.services.auth.members(&caller).await?))
}

/// Changes a member's role (admin; audited). A tenant keeps at least one admin.
#[utoipa::path(
    patch,
    path = "/api/v1/members/{id}",
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = RoleChange,
    responses(
        (status = 200, description = "The member with the new role", body = Member),
        (status = 403, description = "Not an admin of the tenant", body = AppError),
        (status = 404, description = "No such member in the tenant", body = AppError),
        (status = 409, description = "It would leave the tenant without an admin", body = AppError),
    )
)]
pub async fn set_role(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(
        state
            .services
            .auth
            .set_member_role(&caller, id, body.role, ip)
            .await?,
    ))
}

/// Removes a member from the tenant (admin; audited). Their account stays.
#[utoipa::path(
    delete,
    path = "/api/v1/members/{id}",
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an admin of the tenant", body = AppError),
        (status = 404, description = "No such member in the tenant", body = AppError),
        (status = 409, description = "It would leave the tenant without an admin", body = AppError),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.services.auth.remove_member(&caller, id, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

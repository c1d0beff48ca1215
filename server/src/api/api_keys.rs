//! `/api/v1/api-keys`: tenant admins create, list and revoke API keys.

use super::extract::{ApiCaller, ApiJson, ApiPath, ClientIp};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::auth::{ApiKeyInfo, CreatedApiKey, NewApiKey};
use shared::AppError;

/// Creates an API key for the current tenant (admin). The answer holds the key: the only time
/// it is shown.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys",
    tag = "auth",
    security(("bearer" = [])),
    request_body = NewApiKey,
    responses(
        (status = 201, description = "Created; store `key` now", body = CreatedApiKey),
        (status = 403, description = "Not an admin of the tenant", body = AppError),
        (status = 422, description = "Invalid name or scopes", body = AppError),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<NewApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let created = state
        .services
        .auth
        .create_api_key(&caller, request, ip)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The current tenant's API keys (admin), without secrets.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Keys, newest first", body = Vec<ApiKeyInfo>),
        (status = 403, description = "Not an admin of the tenant", body = AppError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<ApiKeyInfo>>, ApiError> {
    Ok(Json(state.services.auth.list_api_keys(&caller).await?))
}

/// Revokes an API key of the current tenant (admin); it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/api-keys/{id}",
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not an admin of the tenant", body = AppError),
        (status = 404, description = "No such key in the tenant", body = AppError),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.services.auth.revoke_api_key(&caller, id, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

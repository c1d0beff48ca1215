//! `POST /api/v1/auth/login`: a bearer token for integrators.

use super::extract::ApiJson;
use crate::error::ApiError;
use crate::state::AppState;
use app::ssr::LoginAttempt;
use axum::extract::State;
use axum::Json;
use shared::auth::{LoginRequest, LoginResponse};

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
        (status = 422, description = "Invalid field", body = shared::AppError),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let issued = state
        .services
        .auth
        .login(LoginAttempt {
            email: body.email,
            password: body.password,
            ip: None,
        })
        .await?;
    Ok(Json(LoginResponse {
        access_token: issued.token.expose().to_owned(),
        token_type: "Bearer".into(),
        expires_in: issued.expires_in_secs,
        user: issued.caller.session_user(),
    }))
}

//! `GET /api/v1/dashboard/summary`: the same summary the dashboard page shows.

use super::extract::ApiCaller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use shared::dashboard::DashboardSummary;

/// The caller's tenant at a glance: active nodes with their latest flow (L/s) and
/// pressure (bar), and per-metric count/min/mean/max over the last 24 hours.
#[utoipa::path(
    get,
    path = "/api/v1/dashboard/summary",
    tag = "dashboard",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Summary of the caller's tenant", body = DashboardSummary),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
    )
)]
pub async fn summary(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<DashboardSummary>, ApiError> {
    Ok(Json(state.services.dashboard.summary(&caller).await?))
}

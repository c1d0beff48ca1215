//! `GET /api/v1/dashboard/summary` and `/period`, the figures the dashboard page shows, and
//! `GET /api/v1/network/overview`, those of the network overview page.

use super::extract::{ApiCaller, ApiQuery};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use shared::dashboard::DashboardSummary;
use shared::period::{PeriodQuery, PeriodSummary};

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

/// Key figures over a period (a preset ending now, or whole days in the tenant's time zone)
/// with the same figures over the period just before, and the network's inflow and
/// pressure per bucket.
#[utoipa::path(
    get,
    path = "/api/v1/dashboard/period",
    tag = "dashboard",
    security(("bearer" = [])),
    params(PeriodQuery),
    responses(
        (status = 200, description = "Figures of the caller's tenant", body = PeriodSummary),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
        (status = 422, description = "Malformed or inconsistent period", body = shared::AppError),
    )
)]
pub async fn period(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> Result<Json<PeriodSummary>, ApiError> {
    Ok(Json(state.services.dashboard.period(&caller, query).await?))
}

/// The network overview: every active node with its position and status (network incident,
/// sensor fault, silent, normal), each district's latest inflow, pressure, open incidents and
/// newest day's water balance, the daily figures of the period per district (at least the
/// last 7 days), and the health of the data and the jobs behind them.
#[utoipa::path(
    get,
    path = "/api/v1/network/overview",
    tag = "dashboard",
    security(("bearer" = [])),
    params(PeriodQuery),
    responses(
        (status = 200, description = "Overview of the caller's tenant", body = shared::overview::NetworkOverview),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
        (status = 422, description = "Malformed or inconsistent period", body = shared::AppError),
    )
)]
pub async fn overview(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> Result<Json<shared::overview::NetworkOverview>, ApiError> {
    Ok(Json(
        state.services.dashboard.overview(&caller, query).await?,
    ))
}

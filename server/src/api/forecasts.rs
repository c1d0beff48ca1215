//! `/api/v1/forecasts/{node_id}/{metric}`: a node's demand forecast with its interval.

use super::extract::{ApiCaller, ApiPath, ApiQuery};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use shared::forecast::{DistrictForecast, Forecast};
use shared::{AppError, Metric};

/// Query of the forecast route.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ForecastParams {
    /// Hours ahead, 1 to 168 (default 48).
    pub horizon: Option<u32>,
}

/// Hourly forecast of a node's metric (hourly means in the metric's unit) with a 95 %
/// prediction interval, from the last 8 weeks of its hourly means; the model (MSTL + AutoETS,
/// or a median week profile) is chosen per series by how well each forecast its previous week.
#[utoipa::path(
    get,
    path = "/api/v1/forecasts/{node_id}/{metric}",
    tag = "readings",
    security(("bearer" = [])),
    params(
        ("node_id" = i64, Path, description = "Node id"),
        ("metric" = String, Path, description = "Metric, e.g. `flow_rate`"),
        ForecastParams
    ),
    responses(
        (status = 200, description = "The forecast", body = Forecast),
        (status = 404, description = "No such node in the caller's tenant", body = AppError),
        (status = 409, description = "Not enough history yet (48 hours needed)", body = AppError),
        (status = 422, description = "Unknown metric or horizon out of range", body = AppError),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath((node_id, metric)): ApiPath<(i64, String)>,
    ApiQuery(params): ApiQuery<ForecastParams>,
) -> Result<Json<Forecast>, ApiError> {
    let metric: Metric = metric.parse().map_err(|e: shared::metric::UnknownMetric| {
        AppError::validation("metric", e.to_string())
    })?;
    let horizon = params.horizon.unwrap_or(48);
    Ok(Json(
        state
            .services
            .forecasts
            .forecast(&caller, node_id, metric, horizon)
            .await?,
    ))
}

/// Hourly demand forecast of a district — the summed flow (L/s) of its inlet meters — with a
/// 95 % prediction interval, from the last 8 weeks of their hourly means.
#[utoipa::path(
    get,
    path = "/api/v1/districts/{district_id}/forecast",
    tag = "readings",
    security(("bearer" = [])),
    params(
        ("district_id" = i64, Path, description = "District id"),
        ForecastParams
    ),
    responses(
        (status = 200, description = "The forecast", body = DistrictForecast),
        (status = 404, description = "No such district in the caller's tenant", body = AppError),
        (status = 409, description = "No inlet meter, or not enough history yet (48 hours)", body = AppError),
        (status = 422, description = "Horizon out of range", body = AppError),
    )
)]
pub async fn district(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(district_id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ForecastParams>,
) -> Result<Json<DistrictForecast>, ApiError> {
    let horizon = params.horizon.unwrap_or(48);
    Ok(Json(
        state
            .services
            .forecasts
            .district_forecast(&caller, district_id, horizon)
            .await?,
    ))
}

//! `GET /api/v1/nodes/{id}/readings`: chart-ready series for integrators.

use super::extract::{ApiCaller, ApiPath, ApiQuery};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use shared::series::{Series, SeriesQuery};
use shared::{AppError, Metric};

/// Query string of the readings route.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReadingsParams {
    /// Metric name (`flow_rate`, `pressure`, …).
    pub metric: String,
    /// Start (RFC 3339), inclusive; default 24 hours before `to`.
    pub from: Option<String>,
    /// End (RFC 3339), exclusive; default now.
    pub to: Option<String>,
    /// Point budget (3–20000, default 1000).
    pub max_points: Option<u32>,
}

fn time(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| AppError::validation(field, format!("`{r}` is not an RFC 3339 timestamp")))
    })
    .transpose()
}

/// A node's metric over a range: raw readings up to 3 days, hourly rollups up to 90 days,
/// daily beyond; downsampled (LTTB) to `max_points`, with min/max/mean over the whole range.
#[utoipa::path(
    get,
    path = "/api/v1/nodes/{id}/readings",
    tag = "readings",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Node id"), ReadingsParams),
    responses(
        (status = 200, description = "The series", body = Series),
        (status = 401, description = "Missing or invalid token", body = AppError),
        (status = 404, description = "No such node in the caller's tenant", body = AppError),
        (status = 422, description = "Invalid parameter", body = AppError),
    )
)]
pub async fn get_readings(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ReadingsParams>,
) -> Result<Json<Series>, ApiError> {
    let metric: Metric = params
        .metric
        .parse()
        .map_err(|e: shared::metric::UnknownMetric| {
            AppError::validation("metric", e.to_string())
        })?;
    let to = time("to", params.to.as_deref())?.unwrap_or_else(Utc::now);
    let from = time("from", params.from.as_deref())?.unwrap_or(to - Duration::hours(24));
    let query = SeriesQuery {
        node_id: id,
        metric,
        from,
        to,
        max_points: params.max_points,
    };
    Ok(Json(state.services.series.series(&caller, query).await?))
}

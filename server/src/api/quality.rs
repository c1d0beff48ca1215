//! `/api/v1/data-quality`: the data quality job's report for the caller's tenant.

use super::extract::{ApiCaller, ApiQuery};
use crate::error::{ApiError, OrInternal};
use crate::jobs::data_quality;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use shared::quality::DataQualityReport;
use shared::AppError;

/// Query of `GET /api/v1/data-quality`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct QualityQuery {
    /// Day (UTC, `YYYY-MM-DD`); the newest report when absent.
    pub day: Option<chrono::NaiveDate>,
}

/// The tenant's data quality report of a day (per node and metric: completeness, gaps,
/// stuck and silent sensors), as computed by the daily data quality job.
#[utoipa::path(
    get,
    path = "/api/v1/data-quality",
    tag = "jobs",
    security(("bearer" = [])),
    params(QualityQuery),
    responses(
        (status = 200, description = "The report", body = DataQualityReport),
        (status = 422, description = "Malformed day", body = AppError),
        (status = 404, description = "No report for that day yet", body = AppError),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<QualityQuery>,
) -> Result<Json<DataQualityReport>, ApiError> {
    caller.require_read()?;
    let scoped = crate::storage::tenant_scope::open(&state.db, caller.tenant.id).await?;
    data_quality::stored(&scoped, caller.tenant.id, query.day)
        .await
        .or_internal("reading a data quality report")?
        .map(Json)
        .ok_or_else(|| AppError::not_found("data quality report").into())
}

//! `/api/v1/jobs`: tenant admins see the background jobs, their schedules and recent runs,
//! and start a job for their tenant now.

use super::extract::{ApiCaller, ApiPath};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::jobs::{JobInfo, JobRunStarted};
use shared::AppError;

/// The jobs with their schedules and the tenant's ten most recent runs of each (admin).
#[utoipa::path(
    get,
    path = "/api/v1/jobs",
    tag = "jobs",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Jobs and recent runs", body = Vec<JobInfo>),
        (status = 403, description = "Not an admin of the tenant", body = AppError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<JobInfo>>, ApiError> {
    Ok(Json(state.services.jobs.jobs(&caller).await?))
}

/// Starts a job for the caller's tenant now (admin). The run appears in the job list.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{name}/run",
    tag = "jobs",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "Job name, e.g. `realtime_sync`")),
    responses(
        (status = 202, description = "Started", body = JobRunStarted),
        (status = 403, description = "Not an admin, or a system-wide job", body = AppError),
        (status = 404, description = "No such job", body = AppError),
        (status = 409, description = "The job is already running for this tenant", body = AppError),
    )
)]
pub async fn run(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(name): ApiPath<String>,
) -> Result<(StatusCode, Json<JobRunStarted>), ApiError> {
    let started = state.services.jobs.run_job(&caller, &name).await?;
    Ok((StatusCode::ACCEPTED, Json(started)))
}

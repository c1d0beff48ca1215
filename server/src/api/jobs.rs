//! `/api/v1/jobs`: tenant admins see the background jobs, their schedules and recent runs,
//! and start a job for their tenant now.

use super::extract::{ApiCaller, ApiPath};
use crate::error::{ApiError, OrInternal};
use crate::jobs::scheduler::Started;
use crate::state::AppState;
use crate::storage::entities::job_runs;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::jobs::{JobInfo, JobRunInfo, JobRunStarted};
use shared::{AppError, Role};

fn run_info(r: job_runs::Model) -> JobRunInfo {
    JobRunInfo {
        id: r.id,
        trigger: r.trigger,
        scheduled_at: r.scheduled_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
        duration_ms: r.finished_at.map(|f| (f - r.started_at).num_milliseconds()),
        status: r.status,
        rows_processed: r.rows_processed,
        detail: r.detail,
        error: r.error,
        instance: r.instance,
    }
}

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
    caller.require(Role::Admin)?;
    let mut out = Vec::new();
    for registered in state.scheduler.jobs() {
        let job = &registered.job;
        // System-wide runs span every tenant: a tenant admin sees only the schedule.
        let runs = if job.per_tenant() {
            job_runs::Entity::find()
                .filter(job_runs::Column::Job.eq(job.name()))
                .filter(job_runs::Column::TenantId.eq(caller.tenant.id))
                .order_by_desc(job_runs::Column::StartedAt)
                .order_by_desc(job_runs::Column::Id)
                .limit(10)
                .all(&state.db)
                .await
                .or_internal("listing job runs")?
                .into_iter()
                .map(run_info)
                .collect()
        } else {
            Vec::new()
        };
        out.push(JobInfo {
            name: job.name().to_owned(),
            description: job.description().to_owned(),
            schedule: registered.cron.clone(),
            per_tenant: job.per_tenant(),
            runs,
        });
    }
    Ok(Json(out))
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
    caller.require(Role::Admin)?;
    let job = state
        .scheduler
        .job(&name)
        .map(|r| r.job.clone())
        .ok_or_else(|| AppError::not_found(format!("job {name}")))?;
    if !job.per_tenant() {
        return Err(AppError::Forbidden.into());
    }
    let started = state
        .scheduler
        .start_run(job, caller.tenant.id, chrono::Utc::now(), "manual")
        .await
        .or_internal("starting a job")?;
    match started {
        Started::Running(run_id, _) => {
            tracing::info!(job = %name, tenant = %caller.tenant.slug, user = caller.user_id, run_id, "job started by hand");
            Ok((StatusCode::ACCEPTED, Json(JobRunStarted { run_id })))
        }
        Started::Overlap | Started::Taken => Err(AppError::Conflict {
            message: format!("{name} is already running for this tenant"),
        }
        .into()),
    }
}

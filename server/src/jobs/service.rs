//! The jobs port: what a tenant admin sees of the scheduler and may start.

use super::scheduler::Started;
use super::Scheduler;
use crate::error::OrInternal;
use crate::storage::entities::job_runs;
use app::ssr::{Caller, JobsPort};
use async_trait::async_trait;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::jobs::{JobInfo, JobRunInfo, JobRunStarted};
use shared::{AppError, Role};

/// Jobs over the ledger and the scheduler.
pub struct JobsService {
    db: DatabaseConnection,
    scheduler: Scheduler,
}

impl JobsService {
    /// The service.
    pub fn new(db: DatabaseConnection, scheduler: Scheduler) -> Self {
        Self { db, scheduler }
    }
}

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

#[async_trait]
impl JobsPort for JobsService {
    async fn jobs(&self, caller: &Caller) -> Result<Vec<JobInfo>, AppError> {
        caller.require(Role::Admin)?;
        let scoped = crate::storage::tenant_scope::open(&self.db, caller.tenant.id).await?;
        let mut out = Vec::new();
        for registered in self.scheduler.jobs() {
            let job = &registered.job;
            // System-wide runs span every tenant: a tenant admin sees only the schedule.
            let runs = if job.per_tenant() {
                job_runs::Entity::find()
                    .filter(job_runs::Column::Job.eq(job.name()))
                    .filter(job_runs::Column::TenantId.eq(caller.tenant.id))
                    .order_by_desc(job_runs::Column::StartedAt)
                    .order_by_desc(job_runs::Column::Id)
                    .limit(10)
                    .all(&scoped)
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
        Ok(out)
    }

    async fn run_job(&self, caller: &Caller, name: &str) -> Result<JobRunStarted, AppError> {
        caller.require(Role::Admin)?;
        let job = self
            .scheduler
            .job(name)
            .map(|r| r.job.clone())
            .ok_or_else(|| AppError::not_found(format!("job {name}")))?;
        if !job.per_tenant() {
            return Err(AppError::Forbidden);
        }
        let started = self
            .scheduler
            .start_run(job, caller.tenant.id, chrono::Utc::now(), "manual")
            .await
            .or_internal("starting a job")?;
        match started {
            Started::Running(run_id, _) => {
                tracing::info!(job = %name, tenant = %caller.tenant.slug, user = caller.user_id, run_id, "job started by hand");
                Ok(JobRunStarted { run_id })
            }
            Started::Overlap | Started::Taken => Err(AppError::Conflict {
                message: format!("{name} is already running for this tenant"),
            }),
        }
    }
}

//! The `job_runs` ledger: claiming a tick (once across replicas, never overlapping a run of
//! the same job still in progress), heartbeats, outcomes, and marking runs whose process died.

use super::JobReport;
use crate::storage::entities::job_runs;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, Statement,
};

/// How often a running job proves it is alive.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(20);
/// A running row whose heartbeat is older than this belongs to a dead process.
pub fn stale_after() -> Duration {
    Duration::seconds(90)
}

/// What became of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This instance runs the tick; the row id to report to.
    Run(i64),
    /// Another instance already took this tick.
    Taken,
    /// A run of the same job is still in progress: this tick is recorded as skipped.
    Overlap,
}

/// Marks running rows whose heartbeat stopped as `crashed`; returns how many.
pub async fn mark_crashed(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let res = job_runs::Entity::update_many()
        .col_expr(job_runs::Column::Status, Expr::value("crashed"))
        .col_expr(job_runs::Column::FinishedAt, Expr::value(now))
        .col_expr(
            job_runs::Column::Error,
            Expr::value("the process running this job stopped before it finished"),
        )
        .filter(job_runs::Column::Status.eq("running"))
        .filter(job_runs::Column::HeartbeatAt.lt(now - stale_after()))
        .exec(db)
        .await?;
    if res.rows_affected > 0 {
        tracing::warn!(runs = res.rows_affected, "job runs marked crashed");
    }
    Ok(res.rows_affected)
}

/// Claims `job`'s tick at `scheduled_at` for `tenant_id` (0: system) for `instance`.
pub async fn claim(
    db: &DatabaseConnection,
    job: &str,
    tenant_id: i64,
    scheduled_at: DateTime<Utc>,
    trigger: &str,
    instance: &str,
) -> Result<Claim, DbErr> {
    let now = Utc::now();
    mark_crashed(db, now).await?;
    let backend = db.get_database_backend();
    let (_writer, txn) = crate::storage::begin_write(db).await?;
    if backend == DbBackend::Postgres {
        // Serialises claims of one job across replicas for this transaction, so the overlap
        // check and the insert below cannot interleave.
        txn.execute(Statement::from_sql_and_values(
            backend,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [format!("job:{job}:{tenant_id}").into()],
        ))
        .await?;
    }
    let running = job_runs::Entity::find()
        .filter(job_runs::Column::Job.eq(job))
        .filter(job_runs::Column::TenantId.eq(tenant_id))
        .filter(job_runs::Column::Status.eq("running"))
        .one(&txn)
        .await?
        .is_some();
    let status = if running { "skipped" } else { "running" };
    let inserted = job_runs::Entity::insert(job_runs::ActiveModel {
        job: Set(job.to_owned()),
        tenant_id: Set(tenant_id),
        trigger: Set(trigger.to_owned()),
        scheduled_at: Set(scheduled_at),
        started_at: Set(now),
        finished_at: Set(running.then_some(now)),
        heartbeat_at: Set(now),
        status: Set(status.to_owned()),
        rows_processed: Set(0),
        detail: Set(running.then(|| "the previous run was still in progress".to_owned())),
        error: Set(None),
        instance: Set(instance.to_owned()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            job_runs::Column::Job,
            job_runs::Column::TenantId,
            job_runs::Column::ScheduledAt,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec(&txn)
    .await;
    let id = match inserted {
        Ok(res) => res.last_insert_id,
        Err(DbErr::RecordNotInserted) => {
            txn.rollback().await?;
            return Ok(Claim::Taken);
        }
        Err(e) => return Err(e),
    };
    txn.commit().await?;
    Ok(if running {
        Claim::Overlap
    } else {
        Claim::Run(id)
    })
}

/// Proves run `id` is alive.
pub async fn heartbeat(db: &DatabaseConnection, id: i64) -> Result<(), DbErr> {
    job_runs::Entity::update_many()
        .col_expr(job_runs::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(job_runs::Column::Id.eq(id))
        .filter(job_runs::Column::Status.eq("running"))
        .exec(db)
        .await?;
    Ok(())
}

/// Records how run `id` ended.
pub async fn finish(
    db: &DatabaseConnection,
    id: i64,
    outcome: &Result<JobReport, String>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let mut update = job_runs::Entity::update_many()
        .col_expr(job_runs::Column::FinishedAt, Expr::value(now))
        .col_expr(job_runs::Column::HeartbeatAt, Expr::value(now));
    update = match outcome {
        Ok(report) => update
            .col_expr(job_runs::Column::Status, Expr::value("succeeded"))
            .col_expr(
                job_runs::Column::RowsProcessed,
                Expr::value(report.rows as i64),
            )
            .col_expr(job_runs::Column::Detail, Expr::value(report.detail.clone())),
        Err(error) => update
            .col_expr(job_runs::Column::Status, Expr::value("failed"))
            .col_expr(job_runs::Column::Error, Expr::value(error.clone())),
    };
    update.filter(job_runs::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

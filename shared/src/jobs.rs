//! Background jobs as the admin page and `GET /api/v1/jobs` show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One run of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobRunInfo {
    /// Run id.
    pub id: i64,
    /// `schedule`, `manual` or `startup`.
    pub trigger: String,
    /// The tick it served.
    pub scheduled_at: DateTime<Utc>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (none while running).
    pub finished_at: Option<DateTime<Utc>>,
    /// Milliseconds from start to end.
    pub duration_ms: Option<i64>,
    /// `running`, `succeeded`, `failed`, `skipped` or `crashed`.
    pub status: String,
    /// Rows read, written or checked.
    pub rows_processed: i64,
    /// What it did.
    pub detail: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Which server process ran it.
    pub instance: String,
}

/// A job, its schedule and its recent runs for the caller's tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobInfo {
    /// Name (`realtime_sync`).
    pub name: String,
    /// What it does.
    pub description: String,
    /// Six-field cron expression (UTC), or none when switched off.
    pub schedule: Option<String>,
    /// Whether it runs per tenant (else system-wide; only its schedule is shown).
    pub per_tenant: bool,
    /// Newest first (at most 10).
    pub runs: Vec<JobRunInfo>,
}

/// Answer of `POST /api/v1/jobs/{name}/run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobRunStarted {
    /// The run's id in the job list.
    pub run_id: i64,
}

//! Background jobs inside the server: what each job does (one file per job), the ledger of
//! runs (`runs`) and the cron scheduler that fires them (`scheduler`).
//!
//! Every job is idempotent and runs per tenant (or once for the whole system): a tick is
//! claimed in `job_runs` before it runs, so with several replicas each tick runs once.

pub mod anomaly_detection;
pub mod cache_refresh;
pub mod cleanup;
pub mod data_quality;
pub mod directory_import;
pub mod maintenance;
pub mod network_efficiency;
pub mod runs;
pub mod scheduler;
pub mod service;
pub mod sync;

use crate::cache::Cache;
use crate::live::Live;
use crate::warehouse::Sources;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub use scheduler::Scheduler;

/// Tenant id of system-wide runs.
pub const SYSTEM: i64 = 0;

/// Knobs the jobs share.
#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// How far back the first sync of a source reaches (the initial backfill).
    pub backfill: Duration,
    /// The window the daily full sync pulls again, to catch late data.
    pub resync_window: Duration,
    /// Intervals without data after which a sensor counts as stale.
    pub stale_intervals: i64,
    /// How long job runs are kept.
    pub keep_runs: Duration,
    /// How long a resolved incident is kept after it ended.
    pub keep_incidents: Duration,
}

/// What a job gets to work with.
#[derive(Clone)]
pub struct JobContext {
    /// The database.
    pub db: DatabaseConnection,
    /// The cache.
    pub cache: Arc<dyn Cache>,
    /// Cache invalidation and live events.
    pub live: Live,
    /// Configured reading sources.
    pub sources: Sources,
    /// Shared settings.
    pub settings: JobSettings,
    /// The tenant this run is for ([`SYSTEM`] for system-wide jobs).
    pub tenant_id: i64,
    /// The tick this run serves: the job's notion of "now".
    pub scheduled_at: DateTime<Utc>,
}

/// What a finished run reports to the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Rows read, written or checked.
    pub rows: u64,
    /// One line for the operator.
    pub detail: String,
}

/// A scheduled job.
#[async_trait]
pub trait Job: Send + Sync {
    /// Name used in configuration, the ledger and the API (`realtime_sync`).
    fn name(&self) -> &'static str;
    /// One line for the admin page.
    fn description(&self) -> &'static str;
    /// Whether it runs once per tenant (else once for the system).
    fn per_tenant(&self) -> bool {
        true
    }
    /// Whether the last tick before the server started is run at start-up when no server ran
    /// it (the server was down, or this is its first start): for daily reports, which would
    /// otherwise be missing until the next day. Replicas claim that tick like any other, so
    /// it runs once.
    fn catches_up(&self) -> bool {
        false
    }
    /// Does the work; safe to run twice, and on two replicas at once.
    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport>;
}

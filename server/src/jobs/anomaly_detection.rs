//! Anomaly detection every 15 minutes: the steps since the previous run go through the detector
//! (`analytics`) and the incident tracker; see [`crate::anomalies::engine`].

use super::{Job, JobContext, JobReport};
use crate::anomalies::AnomalyEngine;
use async_trait::async_trait;
use std::sync::Arc;

/// The job, with the engine that keeps each tenant's data window between runs.
#[derive(Default)]
pub struct AnomalyDetection {
    pub engine: Arc<AnomalyEngine>,
}

#[async_trait]
impl Job for AnomalyDetection {
    fn name(&self) -> &'static str {
        "anomaly_detection"
    }

    fn description(&self) -> &'static str {
        "Finds leaks, pressure anomalies and sensor faults in the data since the last run"
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let r = self
            .engine
            .run_tick(&ctx.db, Some(&ctx.live), ctx.tenant_id, ctx.scheduled_at)
            .await?;
        Ok(JobReport {
            rows: r.steps as u64 * r.series as u64,
            detail: format!(
                "{} step(s) of {} series: {} incident(s) opened, {} updated, {} ended",
                r.steps, r.series, r.opened, r.updated, r.closed
            ),
        })
    }
}

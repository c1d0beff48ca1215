//! Weekly cleanup of a tenant's data: raw readings past the tenant's retention (their hourly
//! and daily rollups stay).

use super::{Job, JobContext, JobReport};
use crate::storage::retention;
use async_trait::async_trait;

/// Applies the tenant's raw-data retention.
pub struct Cleanup;

#[async_trait]
impl Job for Cleanup {
    fn name(&self) -> &'static str {
        "cleanup"
    }

    fn description(&self) -> &'static str {
        "Deletes raw readings past the tenant's retention (rollups are kept)"
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let purged = retention::apply_tenant(&ctx.db, ctx.tenant_id, ctx.scheduled_at).await?;
        Ok(JobReport {
            rows: purged.deleted,
            detail: format!(
                "{} raw readings older than {} deleted",
                purged.deleted,
                purged.before.format("%Y-%m-%d %H:%M UTC")
            ),
        })
    }
}

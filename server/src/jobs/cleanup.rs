//! Weekly cleanup of a tenant's data: raw readings past the tenant's retention (their hourly
//! and daily rollups stay), and resolved incidents that ended longer ago than the incident
//! retention (open or acknowledged ones stay, however old).

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
        "Deletes raw readings past the tenant's retention (rollups are kept) and old resolved incidents"
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let purged = retention::apply_tenant(&ctx.db, ctx.tenant_id, ctx.scheduled_at).await?;
        let incidents = crate::anomalies::store::purge_resolved(
            &ctx.db,
            ctx.tenant_id,
            ctx.scheduled_at - ctx.settings.keep_incidents,
        )
        .await?;
        Ok(JobReport {
            rows: purged.deleted + incidents,
            detail: format!(
                "{} raw readings older than {} deleted; {incidents} resolved incidents past retention deleted",
                purged.deleted,
                purged.before.format("%Y-%m-%d %H:%M UTC")
            ),
        })
    }
}

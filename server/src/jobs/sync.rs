//! The warehouse sync jobs: real-time (every 5 minutes, from the watermark) and the daily
//! full sync (the last 48 hours again, to catch late and corrected data).

use super::{Job, JobContext, JobReport};
use crate::warehouse::sync;
use async_trait::async_trait;

/// Pulls each of the tenant's sources from its watermark to now.
pub struct RealtimeSync;

#[async_trait]
impl Job for RealtimeSync {
    fn name(&self) -> &'static str {
        "realtime_sync"
    }

    fn description(&self) -> &'static str {
        "Pulls new readings from each source since its watermark"
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let mut report = JobReport::default();
        let mut lines = Vec::new();
        for source in ctx.sources.for_tenant(ctx.tenant_id) {
            let out = sync::realtime(
                &ctx.db,
                Some(&ctx.live),
                source.as_ref(),
                ctx.scheduled_at,
                ctx.settings.backfill,
            )
            .await?;
            report.rows += out.report.inserted + out.report.updated + out.report.unchanged;
            lines.push(out.describe(source.name()));
        }
        report.detail = if lines.is_empty() {
            "no source feeds this tenant".into()
        } else {
            lines.join("; ")
        };
        Ok(report)
    }
}

/// Pulls the last 48 hours of each source again.
pub struct FullSync;

#[async_trait]
impl Job for FullSync {
    fn name(&self) -> &'static str {
        "full_sync"
    }

    fn description(&self) -> &'static str {
        "Pulls the last 48 hours again to catch late or corrected data"
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let mut report = JobReport::default();
        let mut lines = Vec::new();
        let since = ctx.scheduled_at - ctx.settings.resync_window;
        for source in ctx.sources.for_tenant(ctx.tenant_id) {
            let out = sync::pull_window(
                &ctx.db,
                Some(&ctx.live),
                source.as_ref(),
                since,
                ctx.scheduled_at,
            )
            .await?;
            report.rows += out.report.inserted + out.report.updated + out.report.unchanged;
            lines.push(out.describe(source.name()));
        }
        report.detail = if lines.is_empty() {
            "no source feeds this tenant".into()
        } else {
            lines.join("; ")
        };
        Ok(report)
    }
}

//! Network efficiency every 5 minutes: today's and yesterday's (local) figures per district and
//! for the network are recomputed from the hourly rollups and stored; see [`crate::efficiency`].

use super::{Job, JobContext, JobReport};
use crate::storage::entities::tenants;
use async_trait::async_trait;
use sea_orm::EntityTrait;

/// The job.
pub struct NetworkEfficiency;

#[async_trait]
impl Job for NetworkEfficiency {
    fn name(&self) -> &'static str {
        "network_efficiency"
    }

    fn description(&self) -> &'static str {
        "Water balance per district: input, non-revenue water, night flow, real losses, ILI"
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let zone = tenants::Entity::find_by_id(ctx.tenant_id)
            .one(&ctx.db)
            .await?
            .map(|t| t.time_zone)
            .unwrap_or_default();
        let rows =
            crate::efficiency::refresh(&ctx.db, ctx.tenant_id, &zone, ctx.scheduled_at, 1).await?;
        Ok(JobReport {
            rows,
            detail: format!("{rows} figures for yesterday and today"),
        })
    }
}

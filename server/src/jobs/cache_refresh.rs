//! Hourly cache refresh: the tenant's network summary is computed and stored in the cache
//! ahead of the first dashboard visit (new readings drop it again as they arrive), and the
//! inlet meters' flow forecasts are refitted and cached (the forecast model's schedule).

use super::{Job, JobContext, JobReport};
use crate::cache::keys::{CacheKeys, FORECAST_TTL, SYSTEM_METRICS_TTL};
use crate::cache::JsonCache;
use crate::dashboard::DashboardService;
use crate::storage::entities::tenants;
use async_trait::async_trait;
use sea_orm::EntityTrait;

/// Warms the tenant's cached figures.
pub struct CacheRefresh;

#[async_trait]
impl Job for CacheRefresh {
    fn name(&self) -> &'static str {
        "cache_refresh"
    }

    fn description(&self) -> &'static str {
        "Computes the network summary ahead of the first visit and caches it"
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let Some(tenant) = tenants::Entity::find_by_id(ctx.tenant_id)
            .one(&ctx.db)
            .await?
        else {
            return Ok(JobReport::default());
        };
        let summary = DashboardService::new(ctx.db.clone())
            .summary_at(tenant.id, &tenant.slug, chrono::Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!("computing the summary: {e}"))?;
        let keys = CacheKeys::new(tenant.id);
        let key = keys.system_metrics("24h");
        let cache = JsonCache::new(ctx.cache.clone());
        cache.put(&key, &summary, SYSTEM_METRICS_TTL).await;
        // Forecasts of every inlet meter's flow (a series without enough history is skipped).
        let mut forecasts = 0;
        for node in summary
            .nodes
            .iter()
            .filter(|n| n.kind == shared::NodeKind::Flow)
        {
            let metric = shared::Metric::FlowRate;
            if let Ok(fc) =
                crate::forecast::fit(&ctx.db, tenant.id, node.id, metric, chrono::Utc::now()).await
            {
                cache
                    .put(&keys.forecast(node.id, metric.as_str()), &fc, FORECAST_TTL)
                    .await;
                forecasts += 1;
            }
        }
        Ok(JobReport {
            rows: summary.readings_24h as u64,
            detail: format!(
                "summary of {} nodes and {} readings cached under {key}; {forecasts} forecasts refitted",
                summary.node_count, summary.readings_24h
            ),
        })
    }
}

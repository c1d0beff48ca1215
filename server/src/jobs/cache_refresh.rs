//! Hourly cache refresh: the tenant's network summary is computed and stored in the cache
//! ahead of the first dashboard visit (new readings drop it again as they arrive), and the
//! inlet meters' flow forecasts and each district's demand forecast are refitted, stored and
//! cached (the forecast models' schedule).

use super::{Job, JobContext, JobReport};
use crate::cache::keys::{CacheKeys, SYSTEM_METRICS_TTL};
use crate::cache::JsonCache;
use crate::dashboard::DashboardService;
use crate::storage::entities::{districts, tenants};
use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use shared::AppError;

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
        // Forecasts of every inlet meter's flow: from the warehouse's own model (BigQuery ML)
        // when the tenant's source makes them, else fitted here; a series without enough
        // history is skipped.
        let metric = shared::Metric::FlowRate;
        let meters: Vec<_> = summary
            .nodes
            .iter()
            .filter(|n| n.kind == shared::NodeKind::Flow)
            .collect();
        let now = chrono::Utc::now();
        let mut from_warehouse = std::collections::HashMap::new();
        for source in ctx.sources.for_tenant(tenant.id) {
            match source
                .forecasts(metric, now, shared::forecast::MAX_HORIZON_HOURS)
                .await
            {
                Ok(Some(made)) => {
                    from_warehouse.extend(made.into_iter().map(|f| (f.node.clone(), f)))
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    source = source.name(),
                    error = %e,
                    "warehouse forecasts failed: fitting locally"
                ),
            }
        }
        let (mut local, mut warehouse) = (0, 0);
        // This run's flow forecasts by node, for districts with a single inlet.
        let mut made = std::collections::HashMap::new();
        for node in meters {
            let fc = match from_warehouse.remove(&node.external_id) {
                Some(made) => {
                    warehouse += 1;
                    shared::forecast::Forecast {
                        node_id: node.id,
                        metric,
                        method: made.method,
                        level: made.level,
                        generated_at: now,
                        history_hours: made.history_hours,
                        points: made.points,
                    }
                }
                None => {
                    match crate::forecast::fit(&ctx.db, tenant.id, node.id, metric, now).await {
                        Ok(fc) => {
                            local += 1;
                            fc
                        }
                        // Too little history, or no model fits it: skipped.
                        Err(AppError::Conflict { .. }) => continue,
                        Err(e) => anyhow::bail!("forecasting node {}: {e}", node.id),
                    }
                }
            };
            crate::forecast::store(&ctx.db, &cache, tenant.id, &fc)
                .await
                .map_err(|e| anyhow::anyhow!("storing a forecast: {e}"))?;
            made.insert(fc.node_id, fc);
        }
        let forecasts = local + warehouse;
        // Each district's demand (its inlet meters' summed flow), fitted here; a district
        // without an inlet meter or with too little history is skipped.
        let districts = districts::Entity::find()
            .filter(districts::Column::TenantId.eq(tenant.id))
            .all(&ctx.db)
            .await?;
        let (mut district_forecasts, mut reused) = (0, 0);
        for district in &districts {
            // A single inlet's demand is that meter's flow, just forecast: taken as it is.
            let inlets = match crate::forecast::inlets(&ctx.db, tenant.id, district).await {
                Ok(inlets) => inlets,
                Err(AppError::Conflict { .. }) => continue,
                Err(e) => anyhow::bail!("reading district {}'s inlets: {e}", district.name),
            };
            let single = match inlets.as_slice() {
                [one] => made.get(one),
                _ => None,
            };
            let fitted = match single {
                Some(inlet) => {
                    reused += 1;
                    Ok(crate::forecast::district_from_inlet(district, inlet))
                }
                None => {
                    crate::forecast::fit_district_inlets(&ctx.db, tenant.id, district, &inlets, now)
                        .await
                }
            };
            let fc = match fitted {
                Ok(fc) => fc,
                // No inlet meter, too little history, or no model fits it: skipped.
                Err(AppError::Conflict { .. }) => continue,
                Err(e) => anyhow::bail!("forecasting district {}: {e}", district.name),
            };
            crate::forecast::store_district(&ctx.db, &cache, tenant.id, &fc)
                .await
                .map_err(|e| anyhow::anyhow!("storing a district forecast: {e}"))?;
            district_forecasts += 1;
        }
        Ok(JobReport {
            rows: summary.readings_24h as u64,
            detail: format!(
                "summary of {} nodes and {} readings cached under {key}; {forecasts} forecasts \
                 stored ({warehouse} from the warehouse's model, {local} fitted here) and \
                 {district_forecasts} of {} districts' demand forecasts ({reused} taken from \
                 their single inlet's)",
                summary.node_count,
                summary.readings_24h,
                districts.len()
            ),
        })
    }
}

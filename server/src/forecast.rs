//! Forecasts served to the API and the UI: a node's hourly means over the last 8 weeks (from the
//! hourly rollups), the model chosen per series (`analytics::forecast`), 7 days ahead with a 95 %
//! interval. Fitted at most once per [`FORECAST_TTL`] per node and metric and kept in the cache
//! under `t:{tenant}:cache:forecast:{node_id}:{metric}`; the hourly cache refresh job refits the
//! inlet meters' forecasts ahead of visits.

use crate::cache::keys::{CacheKeys, FORECAST_TTL};
use crate::cache::JsonCache;
use crate::error::OrInternal;
use crate::storage::entities::nodes;
use crate::storage::sql::stmt;
use analytics::forecast::{forecast_hourly, Method, MAX_HISTORY, WEEK};
use app::ssr::{Caller, ForecastPort};
use async_trait::async_trait;
use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
};
use shared::forecast::{Forecast, ForecastPoint, MAX_HORIZON_HOURS};
use shared::{AppError, Metric};

/// Interval level of every forecast.
pub const LEVEL: f64 = 0.95;
/// Fewest hours of history a forecast is made from.
pub const MIN_HISTORY_HOURS: usize = 48;

#[derive(FromQueryResult)]
struct Hour {
    bucket: DateTime<Utc>,
    mean: f64,
}

/// Fits the model for one node's metric as of `now` (the full 7-day horizon).
pub async fn fit(
    db: &DatabaseConnection,
    tenant_id: i64,
    node_id: i64,
    metric: Metric,
    now: DateTime<Utc>,
) -> Result<Forecast, AppError> {
    let end = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let start = end - Duration::hours(MAX_HISTORY as i64);
    let rows = Hour::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT bucket, sum_value / count AS mean FROM readings_hourly \
         WHERE tenant_id = ? AND node_id = ? AND metric = ? AND bucket >= ? AND bucket < ? AND count > 0 \
         ORDER BY bucket",
        vec![tenant_id.into(), node_id.into(), metric.code().into(), start.into(), end.into()],
    ))
    .all(db)
    .await
    .or_internal("reading hourly means")?;
    let Some(first) = rows.first().map(|r| r.bucket) else {
        return Err(AppError::Conflict {
            message: "no history for this series yet: a forecast needs 48 hours".into(),
        });
    };
    let hours = (end - first).num_hours().max(0) as usize;
    let mut history = vec![f64::NAN; hours];
    for r in &rows {
        let i = (r.bucket - first).num_hours() as usize;
        if i < hours {
            history[i] = r.mean;
        }
    }
    if hours < MIN_HISTORY_HOURS {
        return Err(AppError::Conflict {
            message: format!("only {hours} hours of history for this series: a forecast needs {MIN_HISTORY_HOURS}"),
        });
    }
    let (method, fc) = tokio::task::spawn_blocking(move || forecast_hourly(&history, WEEK, LEVEL))
        .await
        .or_internal("forecast task")?
        .map_err(|e| AppError::Conflict {
            message: format!("no forecast for this series: {e}"),
        })?;
    let points = (0..fc.point.len())
        .map(|h| ForecastPoint {
            at: end + Duration::hours(h as i64),
            value: fc.point[h],
            lower: fc.lower[h],
            upper: fc.upper[h],
        })
        .collect();
    Ok(Forecast {
        node_id,
        metric,
        method: match method {
            Method::Mstl => "mstl_ets",
            Method::Profile => "week_profile",
        }
        .into(),
        level: LEVEL,
        generated_at: now,
        history_hours: hours as u32,
        points,
    })
}

/// Forecasts with the cache in front.
pub struct ForecastService {
    pub db: DatabaseConnection,
    pub cache: JsonCache,
}

#[async_trait]
impl ForecastPort for ForecastService {
    async fn forecast(
        &self,
        caller: &Caller,
        node_id: i64,
        metric: Metric,
        horizon: u32,
    ) -> Result<Forecast, AppError> {
        caller.require_read()?;
        if horizon == 0 || horizon > MAX_HORIZON_HOURS {
            return Err(AppError::validation(
                "horizon",
                format!("1 to {MAX_HORIZON_HOURS} hours"),
            ));
        }
        nodes::Entity::find_by_id(node_id)
            .filter(nodes::Column::TenantId.eq(caller.tenant.id))
            .one(&self.db)
            .await
            .or_internal("reading a node")?
            .ok_or_else(|| AppError::not_found("node"))?;
        let key = CacheKeys::new(caller.tenant.id).forecast(node_id, metric.as_str());
        let tenant = caller.tenant.id;
        let mut fc: Forecast = self
            .cache
            .get_or_load(&key, FORECAST_TTL, || {
                fit(&self.db, tenant, node_id, metric, Utc::now())
            })
            .await?;
        fc.points.truncate(horizon as usize);
        Ok(fc)
    }
}

//! Forecasts served to the API and the UI: a node's hourly means over the last 8 weeks (from the
//! hourly rollups), the model chosen per series (`analytics::forecast`), 7 days ahead with a 95 %
//! interval. Fitted at most once per [`FORECAST_TTL`] per node and metric, stored in the
//! `forecasts` table and kept in the cache under `t:{tenant}:cache:forecast:{node_id}:{metric}`;
//! the hourly cache refresh job refits the inlet meters' forecasts ahead of visits — with
//! BigQuery ML (`ARIMA_PLUS`) when the tenant's BigQuery source is configured, locally otherwise.
//! A district's demand forecast (the summed flow of its inlet meters) is kept the same way in
//! `district_forecasts` and refitted by the same job.

use crate::cache::keys::{CacheKeys, FORECAST_TTL};
use crate::cache::JsonCache;
use crate::error::OrInternal;
use crate::storage::entities::{districts, nodes, tenants};
use crate::storage::sql::stmt;
use crate::storage::tenant_scope;
use analytics::forecast::{forecast_hourly, MAX_HISTORY, WEEK};
use app::ssr::{Caller, ForecastPort};
use async_trait::async_trait;
use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect,
};
use shared::forecast::{
    DemandHour, DistrictForecast, DistrictHistory, Forecast, ForecastPoint, MAX_HORIZON_HOURS,
};
use shared::{AppError, Metric};

/// Interval level of every forecast.
pub const LEVEL: f64 = 0.95;
/// Fewest hours of history a forecast is made from.
pub const MIN_HISTORY_HOURS: usize = 48;

#[derive(FromQueryResult)]
struct Hour {
    node_id: i64,
    bucket: DateTime<Utc>,
    mean: f64,
}

/// A fitted series: the nodes summed, the method, the points and the hours of history.
struct Fitted {
    nodes: Vec<i64>,
    method: String,
    history_hours: u32,
    points: Vec<ForecastPoint>,
}

/// Hourly means of `metric` summed over those of `node_ids` that reported it in
/// `[start, end)`: the first hour with data, the sum of each hour from it to `end` (NaN where
/// one of the reporting nodes has no data that hour), and the reporting nodes. `None` when no
/// node reported.
async fn hourly_sums<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    node_ids: &[i64],
    metric: Metric,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, Vec<f64>, Vec<i64>)>, AppError> {
    let placeholders = vec!["?"; node_ids.len()].join(", ");
    let mut values = vec![
        tenant_id.into(),
        metric.code().into(),
        start.into(),
        end.into(),
    ];
    values.extend(node_ids.iter().map(|id| (*id).into()));
    let rows = Hour::find_by_statement(stmt(
        db.get_database_backend(),
        &format!(
            "SELECT node_id, bucket, sum_value / count AS mean FROM readings_hourly \
             WHERE tenant_id = ? AND metric = ? AND bucket >= ? AND bucket < ? AND count > 0 \
             AND node_id IN ({placeholders}) ORDER BY bucket"
        ),
        values,
    ))
    .all(db)
    .await
    .or_internal("reading hourly means")?;
    let Some(first) = rows.first().map(|r| r.bucket) else {
        return Ok(None);
    };
    let hours = (end - first).num_hours().max(0) as usize;
    let mut sums = vec![0.0; hours];
    let mut present = vec![0usize; hours];
    for r in &rows {
        let i = (r.bucket - first).num_hours() as usize;
        if i < hours {
            sums[i] += r.mean;
            present[i] += 1;
        }
    }
    let mut reporting: Vec<i64> = rows.iter().map(|r| r.node_id).collect();
    reporting.sort_unstable();
    reporting.dedup();
    for (v, n) in sums.iter_mut().zip(&present) {
        if *n < reporting.len() {
            *v = f64::NAN;
        }
    }
    Ok(Some((first, sums, reporting)))
}

/// Fits the model to the hourly means of `metric` summed over those of `node_ids` that
/// reported it in the window, as of `now` (the full 7-day horizon). An hour missing for any of
/// them is a gap in the sum.
async fn fit_sum(
    db: &DatabaseConnection,
    tenant_id: i64,
    node_ids: &[i64],
    metric: Metric,
    now: DateTime<Utc>,
) -> Result<Fitted, AppError> {
    let end = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let start = end - Duration::hours(MAX_HISTORY as i64);
    let Some((_, history, reporting)) =
        hourly_sums(db, tenant_id, node_ids, metric, start, end).await?
    else {
        return Err(AppError::Conflict {
            message: "no history for this series yet: a forecast needs 48 hours".into(),
        });
    };
    let hours = history.len();
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
    Ok(Fitted {
        nodes: reporting,
        method: method.to_string(),
        history_hours: hours as u32,
        points,
    })
}

/// Fits the model for one node's metric as of `now` (the full 7-day horizon).
pub async fn fit(
    db: &DatabaseConnection,
    tenant_id: i64,
    node_id: i64,
    metric: Metric,
    now: DateTime<Utc>,
) -> Result<Forecast, AppError> {
    let f = fit_sum(db, tenant_id, &[node_id], metric, now).await?;
    Ok(Forecast {
        node_id,
        metric,
        method: f.method,
        level: LEVEL,
        generated_at: now,
        history_hours: f.history_hours,
        points: f.points,
    })
}

/// The district's inlet meters: its active flow nodes (a conflict when it has none).
pub async fn inlets<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    district: &districts::Model,
) -> Result<Vec<i64>, AppError> {
    let inlets: Vec<i64> = nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(tenant_id))
        .filter(nodes::Column::DistrictId.eq(district.id))
        .filter(nodes::Column::Kind.eq(shared::NodeKind::Flow.as_str()))
        .filter(nodes::Column::Active.eq(true))
        .all(db)
        .await
        .or_internal("reading a district's inlets")?
        .into_iter()
        .map(|n| n.id)
        .collect();
    if inlets.is_empty() {
        return Err(AppError::Conflict {
            message: format!(
                "district {} has no inlet meter (flow node): its demand cannot be forecast",
                district.name
            ),
        });
    }
    Ok(inlets)
}

/// Fits the demand forecast of a district: the summed flow of its inlet meters (flow nodes).
pub async fn fit_district(
    db: &DatabaseConnection,
    tenant_id: i64,
    district: &districts::Model,
    now: DateTime<Utc>,
) -> Result<DistrictForecast, AppError> {
    let inlets = inlets(db, tenant_id, district).await?;
    fit_district_inlets(db, tenant_id, district, &inlets, now).await
}

/// [`fit_district`] for inlets already read (see [`inlets`]).
pub async fn fit_district_inlets(
    db: &DatabaseConnection,
    tenant_id: i64,
    district: &districts::Model,
    inlets: &[i64],
    now: DateTime<Utc>,
) -> Result<DistrictForecast, AppError> {
    let f = fit_sum(db, tenant_id, inlets, Metric::FlowRate, now).await?;
    Ok(DistrictForecast {
        district_id: district.id,
        district: district.name.clone(),
        inlet_node_ids: f.nodes,
        method: f.method,
        level: LEVEL,
        generated_at: now,
        history_hours: f.history_hours,
        points: f.points,
    })
}

/// The demand forecast of a district with a single inlet meter: that meter's flow forecast
/// (the same series — its hourly means — so fitting it again would give the same answer).
pub fn district_from_inlet(district: &districts::Model, inlet: &Forecast) -> DistrictForecast {
    DistrictForecast {
        district_id: district.id,
        district: district.name.clone(),
        inlet_node_ids: vec![inlet.node_id],
        method: inlet.method.clone(),
        level: inlet.level,
        generated_at: inlet.generated_at,
        history_hours: inlet.history_hours,
        points: inlet.points.clone(),
    }
}

#[derive(FromQueryResult)]
struct StoredRow {
    body: String,
}

/// Stores `fc` as the current forecast of its node and metric (replacing the previous one)
/// and caches it.
pub async fn store(
    db: &DatabaseConnection,
    cache: &JsonCache,
    tenant_id: i64,
    fc: &Forecast,
) -> Result<(), AppError> {
    let body = serde_json::to_string(fc).or_internal("encoding a forecast")?;
    db.execute(stmt(
        db.get_database_backend(),
        "INSERT INTO forecasts (tenant_id, node_id, metric, method, generated_at, body) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (node_id, metric) DO UPDATE SET \
         tenant_id = excluded.tenant_id, method = excluded.method, \
         generated_at = excluded.generated_at, body = excluded.body",
        vec![
            tenant_id.into(),
            fc.node_id.into(),
            fc.metric.code().into(),
            fc.method.clone().into(),
            fc.generated_at.into(),
            body.into(),
        ],
    ))
    .await
    .or_internal("storing a forecast")?;
    let key = CacheKeys::new(tenant_id).forecast(fc.node_id, fc.metric.as_str());
    cache.put(&key, fc, FORECAST_TTL).await;
    Ok(())
}

/// The stored forecast of a node's metric if it was made less than [`FORECAST_TTL`] ago.
pub async fn stored(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    node_id: i64,
    metric: Metric,
    now: DateTime<Utc>,
) -> Result<Option<Forecast>, AppError> {
    let row = StoredRow::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT body FROM forecasts WHERE tenant_id = ? AND node_id = ? AND metric = ? \
         AND generated_at > ?",
        vec![
            tenant_id.into(),
            node_id.into(),
            metric.code().into(),
            fresh_after(now).into(),
        ],
    ))
    .one(db)
    .await
    .or_internal("reading a stored forecast")?;
    Ok(row.and_then(|r| serde_json::from_str(&r.body).ok()))
}

/// Stores `fc` as the current demand forecast of its district (replacing the previous one)
/// and caches it.
pub async fn store_district(
    db: &DatabaseConnection,
    cache: &JsonCache,
    tenant_id: i64,
    fc: &DistrictForecast,
) -> Result<(), AppError> {
    let body = serde_json::to_string(fc).or_internal("encoding a forecast")?;
    db.execute(stmt(
        db.get_database_backend(),
        "INSERT INTO district_forecasts (tenant_id, district_id, method, generated_at, body) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (district_id) DO UPDATE SET \
         tenant_id = excluded.tenant_id, method = excluded.method, \
         generated_at = excluded.generated_at, body = excluded.body",
        vec![
            tenant_id.into(),
            fc.district_id.into(),
            fc.method.clone().into(),
            fc.generated_at.into(),
            body.into(),
        ],
    ))
    .await
    .or_internal("storing a district forecast")?;
    let key = CacheKeys::new(tenant_id).district_forecast(fc.district_id);
    cache.put(&key, fc, FORECAST_TTL).await;
    Ok(())
}

/// The stored demand forecast of a district if it was made less than [`FORECAST_TTL`] ago.
pub async fn stored_district(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    district_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DistrictForecast>, AppError> {
    let row = StoredRow::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT body FROM district_forecasts WHERE tenant_id = ? AND district_id = ? \
         AND generated_at > ?",
        vec![
            tenant_id.into(),
            district_id.into(),
            fresh_after(now).into(),
        ],
    ))
    .one(db)
    .await
    .or_internal("reading a stored district forecast")?;
    Ok(row.and_then(|r| serde_json::from_str(&r.body).ok()))
}

/// Forecasts made before this are stale: refitted on the next read.
fn fresh_after(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::from_std(FORECAST_TTL).unwrap_or(Duration::hours(6))
}

/// Forecasts with the cache and the `forecasts` table in front.
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
        check_horizon(horizon)?;
        let scoped = tenant_scope::open(&self.db, caller.tenant.id).await?;
        nodes::Entity::find_by_id(node_id)
            .filter(nodes::Column::TenantId.eq(caller.tenant.id))
            .one(&scoped)
            .await
            .or_internal("reading a node")?
            .ok_or_else(|| AppError::not_found("node"))?;
        let key = CacheKeys::new(caller.tenant.id).forecast(node_id, metric.as_str());
        let tenant = caller.tenant.id;
        let (db, cache) = (&self.db, &self.cache);
        let mut fc: Forecast = self
            .cache
            .get_or_load(&key, FORECAST_TTL, move || async move {
                let now = Utc::now();
                if let Some(fc) = stored(&scoped, tenant, node_id, metric, now).await? {
                    return Ok(fc);
                }
                // Done with the scope (read only): a fit takes a while and must not hold a
                // transaction open. The fit and its write go through the service's
                // connection: `store` runs its own transaction, and the node was checked in
                // the scope above.
                drop(scoped);
                let fc = fit(db, tenant, node_id, metric, now).await?;
                store(db, cache, tenant, &fc).await?;
                Ok(fc)
            })
            .await?;
        fc.points.truncate(horizon as usize);
        Ok(fc)
    }

    async fn district_forecast(
        &self,
        caller: &Caller,
        district_id: i64,
        horizon: u32,
    ) -> Result<DistrictForecast, AppError> {
        caller.require_read()?;
        check_horizon(horizon)?;
        let scoped = tenant_scope::open(&self.db, caller.tenant.id).await?;
        let district = find_district(&scoped, caller.tenant.id, district_id).await?;
        let key = CacheKeys::new(caller.tenant.id).district_forecast(district_id);
        let tenant = caller.tenant.id;
        let (db, cache) = (&self.db, &self.cache);
        let mut fc: DistrictForecast = self
            .cache
            .get_or_load(&key, FORECAST_TTL, move || async move {
                let now = Utc::now();
                if let Some(fc) = stored_district(&scoped, tenant, district_id, now).await? {
                    return Ok(fc);
                }
                // As for a node: the read-only scope ends before the fit.
                drop(scoped);
                let fc = fit_district(db, tenant, &district, now).await?;
                store_district(db, cache, tenant, &fc).await?;
                Ok(fc)
            })
            .await?;
        fc.points.truncate(horizon as usize);
        Ok(fc)
    }

    async fn district_history(
        &self,
        caller: &Caller,
        district_id: Option<i64>,
        hours: u32,
    ) -> Result<Option<DistrictHistory>, AppError> {
        caller.require_read()?;
        if hours == 0 || hours as usize > MAX_HISTORY {
            return Err(AppError::validation(
                "hours",
                format!("1 to {MAX_HISTORY} hours"),
            ));
        }
        let tenant = caller.tenant.id;
        let scoped = tenant_scope::open(&self.db, tenant).await?;
        let district = match district_id {
            Some(id) => find_district(&scoped, tenant, id).await?,
            None => match first_district(&scoped, tenant).await? {
                Some(d) => d,
                None => return Ok(None),
            },
        };
        let inlets = inlets(&scoped, tenant, &district).await?;
        let now = Utc::now();
        let end = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
        let start = end - Duration::hours(i64::from(hours));
        let sums = hourly_sums(&scoped, tenant, &inlets, Metric::FlowRate, start, end).await?;
        let time_zone = tenants::Entity::find_by_id(tenant)
            .one(&scoped)
            .await
            .or_internal("reading the tenant")?
            .map_or_else(|| "UTC".to_owned(), |t| t.time_zone);
        let points = sums.map_or_else(Vec::new, |(first, sums, _)| {
            sums.into_iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(h, value)| DemandHour {
                    at: first + Duration::hours(h as i64),
                    value,
                })
                .collect()
        });
        Ok(Some(DistrictHistory {
            district_id: district.id,
            district: district.name,
            time_zone,
            points,
        }))
    }
}

async fn find_district<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    district_id: i64,
) -> Result<districts::Model, AppError> {
    districts::Entity::find_by_id(district_id)
        .filter(districts::Column::TenantId.eq(tenant_id))
        .one(db)
        .await
        .or_internal("reading a district")?
        .ok_or_else(|| AppError::not_found("district"))
}

/// The district the network overview lists first: by name (byte order, as the overview sorts
/// them), among those with an active node.
async fn first_district<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
) -> Result<Option<districts::Model>, AppError> {
    let with_nodes: std::collections::HashSet<i64> = nodes::Entity::find()
        .select_only()
        .column(nodes::Column::DistrictId)
        .filter(nodes::Column::TenantId.eq(tenant_id))
        .filter(nodes::Column::Active.eq(true))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await
        .or_internal("reading the nodes' districts")?
        .into_iter()
        .flatten()
        .collect();
    Ok(districts::Entity::find()
        .filter(districts::Column::TenantId.eq(tenant_id))
        .all(db)
        .await
        .or_internal("reading the districts")?
        .into_iter()
        .filter(|d| with_nodes.contains(&d.id))
        .min_by(|a, b| a.name.cmp(&b.name)))
}

fn check_horizon(horizon: u32) -> Result<(), AppError> {
    if horizon == 0 || horizon > MAX_HORIZON_HOURS {
        return Err(AppError::validation(
            "horizon",
            format!("1 to {MAX_HORIZON_HOURS} hours"),
        ));
    }
    Ok(())
}

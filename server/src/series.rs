//! The series port: a node's metric over any range, read from raw readings or rollups
//! depending on the span, downsampled with LTTB.

pub mod lttb;

use crate::error::OrInternal;
use crate::storage::entities::{nodes, tenants};
use crate::storage::sql::stmt;
use crate::storage::tenant_scope;
use app::ssr::{Caller, SeriesPort};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
};
use shared::series::{
    Resolution, Series, SeriesPoint, SeriesQuery, SeriesStats, DEFAULT_MAX_POINTS, MAX_POINTS_LIMIT,
};
use shared::AppError;

/// Reads series from the database.
#[derive(Clone)]
pub struct SeriesService {
    db: DatabaseConnection,
}

#[derive(FromQueryResult)]
struct Row {
    ts: DateTime<Utc>,
    value: f64,
    min_value: Option<f64>,
    max_value: Option<f64>,
    count: i64,
}

impl SeriesService {
    /// A service reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn rows(
        db: &impl ConnectionTrait,
        tenant_id: i64,
        q: &SeriesQuery,
        resolution: Resolution,
    ) -> Result<Vec<Row>, AppError> {
        let sql = match resolution {
            Resolution::Raw => {
                "SELECT ts, value, NULL AS min_value, NULL AS max_value, CAST(1 AS BIGINT) AS count \
                 FROM readings \
                 WHERE tenant_id = ? AND node_id = ? AND metric = ? AND ts >= ? AND ts < ? \
                 ORDER BY ts"
            }
            Resolution::Hourly => {
                "SELECT bucket AS ts, sum_value / count AS value, min_value, max_value, count \
                 FROM readings_hourly WHERE tenant_id = ? AND node_id = ? AND metric = ? \
                 AND bucket >= ? AND bucket < ? ORDER BY bucket"
            }
            Resolution::Daily => {
                "SELECT bucket AS ts, sum_value / count AS value, min_value, max_value, count \
                 FROM readings_daily WHERE tenant_id = ? AND node_id = ? AND metric = ? \
                 AND bucket >= ? AND bucket < ? ORDER BY bucket"
            }
        };
        Row::find_by_statement(stmt(
            db.get_database_backend(),
            sql,
            vec![
                tenant_id.into(),
                q.node_id.into(),
                q.metric.code().into(),
                q.from.into(),
                q.to.into(),
            ],
        ))
        .all(db)
        .await
        .or_internal("reading a series")
    }

    /// The series for `q` in `tenant_id` (public so tests and jobs can call it directly).
    pub async fn series_for(&self, tenant_id: i64, q: SeriesQuery) -> Result<Series, AppError> {
        if q.to <= q.from {
            return Err(AppError::validation("to", "must be after `from`"));
        }
        if q.to - q.from > Duration::days(366 * 20) {
            return Err(AppError::validation(
                "from",
                "the range may span at most 20 years",
            ));
        }
        let budget = q.max_points.unwrap_or(DEFAULT_MAX_POINTS);
        if !(3..=MAX_POINTS_LIMIT).contains(&budget) {
            return Err(AppError::validation(
                "max_points",
                format!("must be between 3 and {MAX_POINTS_LIMIT}"),
            ));
        }
        let db = &tenant_scope::open(&self.db, tenant_id).await?;
        let owned = nodes::Entity::find_by_id(q.node_id)
            .filter(nodes::Column::TenantId.eq(tenant_id))
            .one(db)
            .await
            .or_internal("checking a node")?;
        if owned.is_none() {
            return Err(AppError::not_found("node"));
        }
        let time_zone = tenants::Entity::find_by_id(tenant_id)
            .one(db)
            .await
            .or_internal("reading the tenant")?
            .map_or_else(|| "UTC".to_owned(), |t| t.time_zone);
        let resolution = Resolution::for_span(q.to - q.from);
        let rows = Self::rows(db, tenant_id, &q, resolution).await?;
        let count: i64 = rows.iter().map(|r| r.count).sum();
        let sum: f64 = rows.iter().map(|r| r.value * r.count as f64).sum();
        let stats = SeriesStats {
            count,
            min: rows
                .iter()
                .map(|r| r.min_value.unwrap_or(r.value))
                .reduce(f64::min),
            max: rows
                .iter()
                .map(|r| r.max_value.unwrap_or(r.value))
                .reduce(f64::max),
            mean: (count > 0).then(|| sum / count as f64),
        };
        let xs: Vec<f64> = rows.iter().map(|r| r.ts.timestamp() as f64).collect();
        let ys: Vec<f64> = rows.iter().map(|r| r.value).collect();
        let points = lttb::lttb(&xs, &ys, budget as usize)
            .into_iter()
            .map(|i| SeriesPoint {
                ts: rows[i].ts,
                value: rows[i].value,
                min: rows[i].min_value,
                max: rows[i].max_value,
            })
            .collect();
        Ok(Series {
            node_id: q.node_id,
            metric: q.metric,
            unit: q.metric.unit().to_owned(),
            resolution,
            from: q.from,
            to: q.to,
            source_points: rows.len() as u64,
            points,
            stats,
            time_zone,
        })
    }
}

#[async_trait]
impl SeriesPort for SeriesService {
    async fn series(&self, caller: &Caller, query: SeriesQuery) -> Result<Series, AppError> {
        self.series_for(caller.tenant.id, query).await
    }
}

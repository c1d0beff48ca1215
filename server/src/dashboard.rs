//! The dashboard port: the tenant's network summary, computed from stored readings.

pub mod overview;
pub mod period;

use crate::cache::keys::{CacheKeys, SYSTEM_METRICS_TTL};
use crate::cache::JsonCache;
use crate::error::OrInternal;
use crate::storage::sql::stmt;
use crate::storage::tenant_scope;
use app::ssr::{Caller, DashboardPort};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use shared::dashboard::{DashboardSummary, LatestValue, MetricWindow, NodeLatest};
use shared::period::{PeriodQuery, PeriodSummary};
use shared::{AppError, Metric, NodeKind};

/// Computes summaries straight from the database.
#[derive(Clone)]
pub struct DashboardService {
    db: DatabaseConnection,
    cache: Option<JsonCache>,
    /// Reporting intervals without data after which a node counts as silent.
    stale_intervals: i64,
}

/// The default of `STALE_INTERVALS`.
const DEFAULT_STALE_INTERVALS: i64 = 4;

/// An active node with its place and its latest flow and pressure.
#[derive(FromQueryResult)]
pub(crate) struct NodeRow {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub kind: String,
    pub district: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub metadata: Option<serde_json::Value>,
    pub flow_value: Option<f64>,
    pub flow_ts: Option<DateTime<Utc>>,
    pub pressure_value: Option<f64>,
    pub pressure_ts: Option<DateTime<Utc>>,
    pub level_value: Option<f64>,
    pub level_ts: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
}

/// Every active node of the tenant with its latest flow, pressure and level, from
/// `latest_readings` (one row per node and metric: no history is scanned), by external id.
pub(crate) async fn node_rows(
    db: &impl ConnectionTrait,
    tenant_id: i64,
) -> Result<Vec<NodeRow>, AppError> {
    NodeRow::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT n.id, n.external_id, n.name, n.kind, d.name AS district, n.latitude, \
                n.longitude, n.metadata, f.value AS flow_value, f.ts AS flow_ts, \
                p.value AS pressure_value, p.ts AS pressure_ts, \
                v.value AS level_value, v.ts AS level_ts, \
                (SELECT MAX(l.ts) FROM latest_readings l WHERE l.node_id = n.id) AS last_seen \
         FROM nodes n \
         LEFT JOIN districts d ON d.id = n.district_id \
         LEFT JOIN latest_readings f ON f.node_id = n.id AND f.metric = ? \
         LEFT JOIN latest_readings p ON p.node_id = n.id AND p.metric = ? \
         LEFT JOIN latest_readings v ON v.node_id = n.id AND v.metric = ? \
         WHERE n.tenant_id = ? AND n.active = ? \
         ORDER BY n.external_id",
        vec![
            Metric::FlowRate.code().into(),
            Metric::Pressure.code().into(),
            Metric::Level.code().into(),
            tenant_id.into(),
            true.into(),
        ],
    ))
    .all(db)
    .await
    .or_internal("loading nodes")
}

#[derive(FromQueryResult)]
struct MetricRow {
    metric: i16,
    count: i64,
    min_value: Option<f64>,
    mean_value: Option<f64>,
    max_value: Option<f64>,
}

#[derive(FromQueryResult)]
struct CountRow {
    count: i64,
}

fn latest(value: Option<f64>, at: Option<DateTime<Utc>>) -> Option<LatestValue> {
    Some(LatestValue {
        value: value?,
        at: at?,
    })
}

impl DashboardService {
    /// A service reading from `db` (no cache).
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            cache: None,
            stale_intervals: DEFAULT_STALE_INTERVALS,
        }
    }

    /// The same service, calling a node silent after `n` reporting intervals without data.
    pub fn stale_intervals(self, n: i64) -> Self {
        Self {
            stale_intervals: n.max(1),
            ..self
        }
    }

    /// A service reading from `db` that keeps summaries in `cache` (under
    /// `t:{tenant}:system:metrics:24h`, dropped when new readings arrive).
    pub fn cached(db: DatabaseConnection, cache: JsonCache) -> Self {
        Self {
            db,
            cache: Some(cache),
            stale_intervals: DEFAULT_STALE_INTERVALS,
        }
    }

    /// Every active node of the tenant with its latest flow, pressure and level, from
    /// `latest_readings` (one row per node and metric: no history is scanned).
    pub async fn nodes_latest(&self, tenant_id: i64) -> Result<Vec<NodeLatest>, AppError> {
        let db = &tenant_scope::open(&self.db, tenant_id).await?;
        Self::nodes_latest_in(db, tenant_id).await
    }

    async fn nodes_latest_in(
        db: &impl ConnectionTrait,
        tenant_id: i64,
    ) -> Result<Vec<NodeLatest>, AppError> {
        let node_rows = node_rows(db, tenant_id).await?;
        let nodes: Vec<NodeLatest> = node_rows
            .into_iter()
            .map(|r| NodeLatest {
                id: r.id,
                kind: r.kind.parse().unwrap_or(NodeKind::Pressure),
                external_id: r.external_id,
                name: r.name,
                district: r.district,
                flow_rate: latest(r.flow_value, r.flow_ts),
                pressure: latest(r.pressure_value, r.pressure_ts),
                level: latest(r.level_value, r.level_ts),
                last_seen: r.last_seen,
            })
            .collect();
        Ok(nodes)
    }

    /// The summary of `tenant_id` as of `now` (separate from the port so tests can fix the clock).
    pub async fn summary_at(
        &self,
        tenant_id: i64,
        tenant_slug: &str,
        now: DateTime<Utc>,
    ) -> Result<DashboardSummary, AppError> {
        let db = &tenant_scope::open(&self.db, tenant_id).await?;
        let backend = db.get_database_backend();
        let window_start = now - Duration::hours(24);
        let node_count = CountRow::find_by_statement(stmt(
            backend,
            "SELECT COUNT(*) AS count FROM nodes WHERE tenant_id = ? AND active = ?",
            vec![tenant_id.into(), true.into()],
        ))
        .one(db)
        .await
        .or_internal("counting nodes")?
        .map_or(0, |r| r.count);
        let metric_rows = MetricRow::find_by_statement(stmt(
            backend,
            "SELECT metric, COUNT(*) AS count, MIN(value) AS min_value, \
                    AVG(value) AS mean_value, MAX(value) AS max_value \
             FROM readings WHERE tenant_id = ? AND ts > ? AND ts <= ? \
             GROUP BY metric",
            vec![tenant_id.into(), window_start.into(), now.into()],
        ))
        .all(db)
        .await
        .or_internal("aggregating readings")?;
        let mut metrics_24h: Vec<MetricWindow> = metric_rows
            .into_iter()
            .filter_map(|r| {
                let metric = Metric::from_code(r.metric)?;
                Some(MetricWindow {
                    metric,
                    count: r.count,
                    min: r.min_value,
                    mean: r.mean_value,
                    max: r.max_value,
                })
            })
            .collect();
        metrics_24h.sort_by_key(|m| m.metric);
        let nodes = Self::nodes_latest_in(db, tenant_id).await?;
        let (open_incidents, critical_incidents) = Self::open_incidents(db, tenant_id).await?;
        Ok(DashboardSummary {
            tenant: tenant_slug.to_owned(),
            generated_at: now,
            window_start,
            node_count,
            readings_24h: metrics_24h.iter().map(|m| m.count).sum(),
            metrics_24h,
            nodes,
            open_incidents,
            critical_incidents,
        })
    }

    /// Incidents not resolved yet, and the critical ones among them.
    async fn open_incidents(
        db: &impl ConnectionTrait,
        tenant_id: i64,
    ) -> Result<(i64, i64), AppError> {
        use crate::storage::entities::incidents;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let open = || {
            incidents::Entity::find()
                .filter(incidents::Column::TenantId.eq(tenant_id))
                .filter(incidents::Column::Status.ne("resolved"))
        };
        let all = open().count(db).await.or_internal("counting incidents")?;
        let critical = open()
            .filter(incidents::Column::Severity.eq("critical"))
            .count(db)
            .await
            .or_internal("counting incidents")?;
        Ok((all as i64, critical as i64))
    }
}

#[async_trait]
impl DashboardPort for DashboardService {
    async fn summary(&self, caller: &Caller) -> Result<DashboardSummary, AppError> {
        let load = || self.summary_at(caller.tenant.id, &caller.tenant.slug, Utc::now());
        match &self.cache {
            Some(cache) => {
                let key = CacheKeys::new(caller.tenant.id).system_metrics("24h");
                cache.get_or_load(&key, SYSTEM_METRICS_TTL, load).await
            }
            None => load().await,
        }
    }

    async fn period(&self, caller: &Caller, query: PeriodQuery) -> Result<PeriodSummary, AppError> {
        caller.require_read()?;
        period::summary(&self.db, caller.tenant.id, &query, Utc::now()).await
    }

    async fn overview(
        &self,
        caller: &Caller,
        query: PeriodQuery,
    ) -> Result<shared::overview::NetworkOverview, AppError> {
        caller.require_read()?;
        overview::overview(
            &self.db,
            caller.tenant.id,
            &query,
            Utc::now(),
            self.stale_intervals,
        )
        .await
    }
}

//! The one application state, built once at start and shared by every handler.

use crate::auth::sessions::{RedisSessions, SessionStore};
use crate::auth::throttle::Throttle;
use crate::auth::AuthService;
use crate::cache::{self, Cache, JsonCache};
use crate::config::Config;
use crate::dashboard::DashboardService;
use crate::live::Live;
use crate::ops::metrics::HttpMetrics;
use crate::series::SeriesService;
use crate::storage;
use app::ssr::Services;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Everything a request handler may need.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos site settings (address, asset folders).
    pub leptos_options: LeptosOptions,
    /// Pooled database connection (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// Cache: Redis or in-process.
    pub cache: Arc<dyn Cache>,
    /// Port implementations, shared by server functions and REST routes.
    pub services: Services,
    /// Prometheus registry with the HTTP metrics.
    pub metrics: Arc<HttpMetrics>,
    /// The configuration the process started with.
    pub config: Arc<Config>,
    /// The background jobs (scheduled ticks, "run now").
    pub scheduler: crate::jobs::Scheduler,
    /// Live events and cache invalidation.
    pub live: Live,
    /// The cache with typed values and hit/miss counters.
    pub json_cache: JsonCache,
}

impl AppState {
    /// Connects storage and cache (applying migrations) and wires the services.
    pub async fn build(config: Config, leptos_options: LeptosOptions) -> anyhow::Result<Self> {
        let db = storage::connect(&config.database_url, config.db_max_connections).await?;
        let cache = cache::open(config.redis_url.as_deref()).await?;
        config.jwt_keys()?; // a malformed key setting stops the start, with its reason
        Ok(Self::from_parts(config, leptos_options, db, cache))
    }

    /// Wires the services over an already open database and cache.
    pub fn from_parts(
        config: Config,
        leptos_options: LeptosOptions,
        db: DatabaseConnection,
        cache: Arc<dyn Cache>,
    ) -> Self {
        let json_cache = JsonCache::new(cache.clone());
        let redis = config
            .redis_url
            .as_deref()
            .and_then(|url| match redis::Client::open(url) {
                Ok(client) => Some(client),
                Err(e) => {
                    tracing::error!(error = %e, "REDIS_URL unusable for live events: local only");
                    None
                }
            });
        let live = Live::new(redis.clone(), json_cache.clone());
        let scheduler = crate::jobs::Scheduler::new(
            db.clone(),
            cache.clone(),
            live.clone(),
            config.job_settings(),
            config.jobs(),
            instance_name(),
        );
        let session_store = match &redis {
            Some(client) if config.sessions_in_redis() => {
                SessionStore::Redis(RedisSessions::new(client.clone()))
            }
            _ => SessionStore::Database(db.clone()),
        };
        let jobs: Arc<crate::jobs::service::JobsService> = Arc::new(
            crate::jobs::service::JobsService::new(db.clone(), scheduler.clone()),
        );
        let diagnostics = crate::ops::diagnostics::DiagnosticsService {
            db: db.clone(),
            cache: cache.clone(),
            jobs: jobs.clone(),
            sessions: match session_store {
                SessionStore::Redis(_) => "redis",
                SessionStore::Database(_) => "database",
            },
            live_over_redis: redis.is_some(),
            warehouse: config
                .bigquery()
                .ok()
                .flatten()
                .map(|b| format!("{}.{}.{}", b.project, b.dataset, b.table)),
            scheduler_enabled: config.scheduler_enabled,
        };
        let services = Services {
            auth: Arc::new(AuthService::new(
                db.clone(),
                session_store,
                config.token_policy(),
                config.jwt_keys().ok().flatten(),
                Throttle::new(cache.clone(), config.throttle_policy()),
            )),
            dashboard: Arc::new(
                DashboardService::cached(db.clone(), json_cache.clone())
                    .stale_intervals(config.job_settings().stale_intervals),
            ),
            series: Arc::new(SeriesService::new(db.clone())),
            quality: Arc::new(crate::jobs::data_quality::QualityService(db.clone())),
            anomalies: Arc::new(crate::anomalies::AnomalyService {
                db: db.clone(),
                live: Some(live.clone()),
            }),
            efficiency: Arc::new(crate::efficiency::EfficiencyService { db: db.clone() }),
            forecasts: Arc::new(crate::forecast::ForecastService {
                db: db.clone(),
                cache: json_cache.clone(),
            }),
            jobs,
            diagnostics: Arc::new(diagnostics),
            secure_cookies: config.cookie_secure,
        };

        Self {
            leptos_options,
            db,
            cache,
            services,
            metrics: Arc::new(HttpMetrics::default()),
            config: Arc::new(config),
            scheduler,
            live,
            json_cache,
        }
    }
}

/// How this process signs its job runs: host name and process id.
fn instance_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "server".into());
    format!("{host}:{}", std::process::id())
}

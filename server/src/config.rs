//! All configuration, read once at start from the environment (and `.env`) or flags.

use clap::{Args, Parser, Subcommand};

/// Roccavina Water server: web app, REST API and background jobs in one process.
#[derive(Debug, Clone, Parser)]
#[command(name = "server", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub config: Config,
}

/// Commands of the server binary.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import a CSV file (plain or gzip) into a tenant.
    Import {
        /// What the file holds.
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Create or list tenants.
    Tenant {
        /// What to do.
        #[command(subcommand)]
        what: TenantCommand,
    },
    /// Replay a folder of `nodes.csv` + `readings.csv` through the anomaly detector as the
    /// 15-minute job runs it, write the detections and score them when the folder has a scorer.
    Replay {
        /// Folder with `nodes.csv` and `readings.csv` (and optionally `score.py`, `labels.json`).
        dir: std::path::PathBuf,
        /// Where to write the detections (JSON).
        #[arg(long, default_value = "detections.json")]
        out: std::path::PathBuf,
        /// Database to replay in; a fresh temporary SQLite file when absent.
        #[arg(long = "replay-database-url")]
        replay_database_url: Option<String>,
        /// Time zone of the network (nights and weekdays are local).
        #[arg(long, default_value = "Europe/Rome")]
        time_zone: String,
        /// Do not run the folder's scorer.
        #[arg(long)]
        no_score: bool,
    },
    /// Probe a running server's `/healthz` and exit 0 when it answers 200 (for container health checks).
    Healthcheck {
        /// Address to probe.
        #[arg(long, default_value = "http://127.0.0.1:3000/healthz")]
        url: String,
    },
}

/// `server tenant …`.
#[derive(Debug, Clone, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// URL-safe short name (a-z, 0-9, -).
        slug: String,
        /// Display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        /// Days raw readings are kept (rollups are kept regardless).
        #[arg(long, default_value_t = 90)]
        retention_days: i32,
    },
    /// List tenants.
    List,
}

/// What `server import` reads.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// Readings: long `timestamp,node_id,metric,value[,quality]` or wide
    /// `timestamp,node_id,flow_rate,pressure,temperature,total_flow`.
    Readings {
        /// The CSV file (`.gz` accepted).
        file: std::path::PathBuf,
        /// Slug of the tenant to import into.
        #[arg(long)]
        tenant: String,
        /// Readings per write transaction.
        #[arg(long, default_value_t = 50_000)]
        batch: usize,
    },
    /// Nodes: `node_id,name,kind,lat,lon,district[,elevation]`; creates missing districts.
    Nodes {
        /// The CSV file (`.gz` accepted).
        file: std::path::PathBuf,
        /// Slug of the tenant to import into.
        #[arg(long)]
        tenant: String,
    },
}

/// Typed configuration; every field can be set by flag or environment variable.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://path?mode=rwc` (embedded default) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/roccavina.db?mode=rwc"
    )]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[arg(long, env = "DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
    /// Redis URL (`redis://host:6379/0`); without it an in-process cache is used.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Where sessions and refresh tokens live: `redis` (the default when `REDIS_URL` is set;
    /// give that Redis persistence, or a restart signs everyone out) or `database`.
    #[arg(long, env = "SESSION_STORE", value_enum)]
    pub session_store: Option<SessionStoreKind>,
    /// Mark session cookies `Secure` (turn off only when serving plain http to non-local hosts).
    #[arg(long, env = "COOKIE_SECURE", default_value_t = true, action = clap::ArgAction::Set)]
    pub cookie_secure: bool,
    /// How long a sign-in lasts, in hours: the refresh tokens of a session stop working after
    /// this, whatever their use.
    #[arg(long, env = "SESSION_TTL_HOURS", default_value_t = 12)]
    pub session_ttl_hours: i64,
    /// Lifetime of an access token (JWT), in minutes.
    #[arg(long, env = "ACCESS_TOKEN_MINUTES", default_value_t = 15)]
    pub access_token_minutes: i64,
    /// Access-token signing keys, `kid:secret[,kid:secret…]` (secrets of 32+ bytes): the
    /// first signs, all verify, so a key can be rotated in before the old one is removed.
    /// Without it a key is generated once and kept in the database (shared by replicas).
    #[arg(long, env = "JWT_KEYS", hide_env_values = true)]
    pub jwt_keys: Option<String>,
    /// Seconds after its first use during which a refresh token may be presented again
    /// (parallel requests from one browser) without being treated as stolen.
    #[arg(long, env = "REFRESH_REUSE_GRACE_SECS", default_value_t = 10)]
    pub refresh_reuse_grace_secs: i64,
    /// Failed logins allowed per account before each further failure doubles the wait.
    #[arg(long, env = "LOGIN_FREE_ATTEMPTS", default_value_t = 5)]
    pub login_free_attempts: i64,
    /// Wait after the first throttled failure, in milliseconds (doubles each time).
    #[arg(long, env = "LOGIN_BASE_DELAY_MS", default_value_t = 1_000)]
    pub login_base_delay_ms: u64,
    /// Create the demo tenant and feed it simulated live readings.
    #[arg(long, env = "DEMO_DATA", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_data: bool,
    /// Email of the demo tenant's administrator.
    #[arg(long, env = "DEMO_ADMIN_EMAIL", default_value = "admin@roccavina.demo")]
    pub demo_admin_email: String,
    /// Password of the demo administrator (set only when the account is first created).
    #[arg(
        long,
        env = "DEMO_ADMIN_PASSWORD",
        default_value = "roccavina-demo",
        hide_env_values = true
    )]
    pub demo_admin_password: String,
    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// Run the background jobs in this process (every replica may: each tick runs once).
    #[arg(long, env = "SCHEDULER_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub scheduler_enabled: bool,
    /// Real-time warehouse sync; six-field cron (seconds first, UTC) or `off`.
    #[arg(long, env = "JOB_REALTIME_SYNC_CRON", default_value = "0 */5 * * * *")]
    pub job_realtime_sync_cron: String,
    /// Daily full sync of the last 48 hours.
    #[arg(long, env = "JOB_FULL_SYNC_CRON", default_value = "0 0 2 * * *")]
    pub job_full_sync_cron: String,
    /// Hourly cache refresh (warms each tenant's summary).
    #[arg(long, env = "JOB_CACHE_REFRESH_CRON", default_value = "0 7 * * * *")]
    pub job_cache_refresh_cron: String,
    /// Daily data quality check.
    #[arg(long, env = "JOB_DATA_QUALITY_CRON", default_value = "0 0 6 * * *")]
    pub job_data_quality_cron: String,
    /// Anomaly detection (leaks, sensor faults) every 15 minutes, two minutes after the quarter so
    /// the quarter's readings have landed.
    #[arg(
        long,
        env = "JOB_ANOMALY_DETECTION_CRON",
        default_value = "0 2/15 * * * *"
    )]
    pub job_anomaly_detection_cron: String,
    /// Network efficiency (water balance per district) every 5 minutes.
    #[arg(
        long,
        env = "JOB_NETWORK_EFFICIENCY_CRON",
        default_value = "30 */5 * * * *"
    )]
    pub job_network_efficiency_cron: String,
    /// Weekly cleanup (raw readings past retention).
    #[arg(long, env = "JOB_CLEANUP_CRON", default_value = "0 0 3 * * Sun")]
    pub job_cleanup_cron: String,
    /// Weekly maintenance (old job runs, expired sessions, VACUUM ANALYZE).
    #[arg(long, env = "JOB_MAINTENANCE_CRON", default_value = "0 30 3 * * Sun")]
    pub job_maintenance_cron: String,
    /// Folder watched for CSV files to import: `IMPORT_DIR/<tenant-slug>/*.csv[.gz]`.
    #[arg(long, env = "IMPORT_DIR")]
    pub import_dir: Option<std::path::PathBuf>,
    /// How often the import folder is looked at (when `IMPORT_DIR` is set).
    #[arg(long, env = "JOB_DIRECTORY_IMPORT_CRON", default_value = "0 * * * * *")]
    pub job_directory_import_cron: String,
    /// Days of readings the first sync of a source pulls (the initial backfill). Two weeks by
    /// default: the anomaly detector's hydraulic checks need that much history (baselines from
    /// three earlier days of the same type, spreads from a week of residuals after them), so a
    /// new source, the demo's simulator included, is watched from its first run.
    #[arg(long, env = "INITIAL_BACKFILL_DAYS", default_value_t = 14)]
    pub initial_backfill_days: i64,
    /// Hours the daily full sync pulls again.
    #[arg(long, env = "RESYNC_HOURS", default_value_t = 48)]
    pub resync_hours: i64,
    /// Reporting intervals without data after which a sensor is stale.
    #[arg(long, env = "STALE_INTERVALS", default_value_t = 4)]
    pub stale_intervals: i64,
    /// Days job runs are kept.
    #[arg(long, env = "JOB_RUNS_KEEP_DAYS", default_value_t = 90)]
    pub job_runs_keep_days: i64,
    /// Days a resolved incident is kept after it ended (open ones are always kept).
    #[arg(long, env = "INCIDENT_RETENTION_DAYS", default_value_t = 365)]
    pub incident_retention_days: i64,
    /// BigQuery project of the readings table (BigQuery sync is on when this is set).
    #[arg(long, env = "BIGQUERY_PROJECT")]
    pub bigquery_project: Option<String>,
    /// BigQuery dataset of the readings table.
    #[arg(long, env = "BIGQUERY_DATASET", default_value = "telemetry")]
    pub bigquery_dataset: String,
    /// BigQuery readings table.
    #[arg(long, env = "BIGQUERY_TABLE", default_value = "readings")]
    pub bigquery_table: String,
    /// Service-account key file for BigQuery.
    #[arg(long, env = "GOOGLE_APPLICATION_CREDENTIALS")]
    pub bigquery_key_file: Option<String>,
    /// Slug of the tenant the BigQuery table feeds.
    #[arg(long, env = "BIGQUERY_TENANT")]
    pub bigquery_tenant: Option<String>,
    /// Column mapping: `ts=…,node=…` and `metric=column` for each value column.
    #[arg(
        long,
        env = "BIGQUERY_COLUMNS",
        default_value = "ts=timestamp,node=node_id,flow_rate=flow_rate,pressure=pressure,temperature=temperature,volume=total_flow"
    )]
    pub bigquery_columns: String,
    /// BigQuery API base URL (a regional endpoint or proxy); Google's by default.
    #[arg(long, env = "BIGQUERY_BASE_URL")]
    pub bigquery_base_url: Option<String>,
    /// Rows per BigQuery result page.
    #[arg(long, env = "BIGQUERY_PAGE_SIZE", default_value_t = 10_000)]
    pub bigquery_page_size: i32,
    /// Reverse proxies in front of the server that append to `X-Forwarded-For` (0: the header
    /// is ignored and the socket's peer is the client — anyone can write that header).
    #[arg(long, env = "TRUSTED_PROXY_HOPS", default_value_t = 0)]
    pub trusted_proxy_hops: usize,
    /// Largest accepted JSON request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest accepted import body (`POST /api/v1/readings`, `/nodes`), in bytes.
    #[arg(long, env = "MAX_IMPORT_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_import_bytes: usize,
}

/// The choices of `SESSION_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SessionStoreKind {
    /// Redis at `REDIS_URL`.
    Redis,
    /// The database's `sessions` and `refresh_tokens` tables.
    Database,
}

impl Config {
    /// Treats empty optional settings (`REDIS_URL=`) as unset.
    pub fn normalized(mut self) -> Self {
        self.redis_url = self.redis_url.filter(|u| !u.trim().is_empty());
        self.jwt_keys = self.jwt_keys.filter(|k| !k.trim().is_empty());
        self.bigquery_project = self.bigquery_project.filter(|p| !p.trim().is_empty());
        self
    }

    /// The configured access-token keys, if any (an error explains a malformed setting).
    pub fn jwt_keys(&self) -> anyhow::Result<Option<crate::auth::jwt::JwtKeys>> {
        self.jwt_keys
            .as_deref()
            .map(crate::auth::jwt::JwtKeys::parse)
            .transpose()
            .map_err(anyhow::Error::msg)
    }

    /// Settings shared by the jobs.
    pub fn job_settings(&self) -> crate::jobs::JobSettings {
        crate::jobs::JobSettings {
            backfill: chrono::Duration::days(self.initial_backfill_days.clamp(0, 3650)),
            resync_window: chrono::Duration::hours(self.resync_hours.clamp(1, 24 * 365)),
            stale_intervals: self.stale_intervals.max(1),
            keep_runs: chrono::Duration::days(self.job_runs_keep_days.max(1)),
            keep_incidents: chrono::Duration::days(self.incident_retention_days.max(1)),
        }
    }

    /// The jobs and their schedules (`off` switches a job off).
    pub fn jobs(&self) -> Vec<crate::jobs::scheduler::Registered> {
        use crate::jobs::{
            anomaly_detection, cache_refresh, cleanup, data_quality, maintenance,
            network_efficiency, sync, Job,
        };
        let on = |cron: &str| {
            let cron = cron.trim();
            (!cron.eq_ignore_ascii_case("off") && !cron.is_empty()).then(|| cron.to_owned())
        };
        let jobs: Vec<(std::sync::Arc<dyn Job>, &str)> = vec![
            (
                std::sync::Arc::new(sync::RealtimeSync),
                &self.job_realtime_sync_cron,
            ),
            (
                std::sync::Arc::new(sync::FullSync),
                &self.job_full_sync_cron,
            ),
            (
                std::sync::Arc::new(cache_refresh::CacheRefresh),
                &self.job_cache_refresh_cron,
            ),
            (
                std::sync::Arc::new(data_quality::DataQuality),
                &self.job_data_quality_cron,
            ),
            (
                std::sync::Arc::new(anomaly_detection::AnomalyDetection::default()),
                &self.job_anomaly_detection_cron,
            ),
            (
                std::sync::Arc::new(network_efficiency::NetworkEfficiency),
                &self.job_network_efficiency_cron,
            ),
            (
                std::sync::Arc::new(cleanup::Cleanup),
                &self.job_cleanup_cron,
            ),
            (
                std::sync::Arc::new(maintenance::Maintenance),
                &self.job_maintenance_cron,
            ),
        ];
        let mut jobs: Vec<crate::jobs::scheduler::Registered> = jobs
            .into_iter()
            .map(|(job, cron)| crate::jobs::scheduler::Registered {
                job,
                cron: on(cron),
            })
            .collect();
        if let Some(root) = &self.import_dir {
            jobs.push(crate::jobs::scheduler::Registered {
                job: std::sync::Arc::new(crate::jobs::directory_import::DirectoryImport {
                    root: root.clone(),
                }),
                cron: on(&self.job_directory_import_cron),
            });
        }
        jobs
    }

    /// The BigQuery settings, when BigQuery sync is configured.
    pub fn bigquery(&self) -> anyhow::Result<Option<crate::warehouse::bigquery::BigQuerySettings>> {
        use crate::warehouse::bigquery::{identifier, BigQuerySettings, Retry};
        let Some(project) = &self.bigquery_project else {
            return Ok(None);
        };
        let (ts_column, node_column, metric_columns) =
            BigQuerySettings::parse_columns(&self.bigquery_columns).map_err(anyhow::Error::msg)?;
        Ok(Some(BigQuerySettings {
            project: identifier(project).map_err(anyhow::Error::msg)?,
            dataset: identifier(&self.bigquery_dataset).map_err(anyhow::Error::msg)?,
            table: identifier(&self.bigquery_table).map_err(anyhow::Error::msg)?,
            ts_column,
            node_column,
            metric_columns,
            page_size: self.bigquery_page_size.clamp(1, 100_000),
            retry: Retry {
                attempts: 5,
                base_delay: std::time::Duration::from_millis(500),
            },
        }))
    }

    /// Whether sessions live in Redis: `REDIS_URL` is set and `SESSION_STORE` does not say
    /// `database`.
    pub fn sessions_in_redis(&self) -> bool {
        self.redis_url.is_some() && self.session_store != Some(SessionStoreKind::Database)
    }

    /// Token lifetimes and reuse policy.
    pub fn token_policy(&self) -> crate::auth::service::TokenPolicy {
        crate::auth::service::TokenPolicy {
            session: chrono::Duration::hours(self.session_ttl_hours.max(1)),
            access: chrono::Duration::minutes(self.access_token_minutes.clamp(1, 24 * 60)),
            reuse_grace: chrono::Duration::seconds(self.refresh_reuse_grace_secs.max(0)),
        }
    }

    /// The login throttling policy.
    pub fn throttle_policy(&self) -> crate::auth::throttle::ThrottlePolicy {
        crate::auth::throttle::ThrottlePolicy {
            free_attempts: self.login_free_attempts.max(1),
            base_delay: std::time::Duration::from_millis(self.login_base_delay_ms),
            window: std::time::Duration::from_secs(15 * 60),
        }
    }

    /// Whether the database is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Configuration for tests: an explicit database URL, no Redis, demo data off.
    pub fn for_tests(database_url: &str) -> Self {
        Cli::parse_from([
            "server",
            "--database-url",
            database_url,
            "--demo-data",
            "false",
        ])
        .config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_setup() {
        let cli = Cli::parse_from(["server"]);
        assert!(cli.command.is_none());
        // The environment may set DATABASE_URL; only check the fallback when it does not.
        if std::env::var_os("DATABASE_URL").is_none() {
            assert!(cli.config.is_sqlite());
        }
        assert!(cli.config.cookie_secure || std::env::var_os("COOKIE_SECURE").is_some());
    }

    #[test]
    fn an_empty_redis_url_means_no_redis() {
        let cli = Cli::parse_from(["server", "--redis-url", ""]);
        assert_eq!(cli.config.normalized().redis_url, None);
    }

    #[test]
    fn flags_override() {
        let cli = Cli::parse_from([
            "server",
            "--database-url",
            "postgres://u@h/db",
            "--redis-url",
            "redis://127.0.0.1/",
            "migrate",
        ]);
        assert!(!cli.config.is_sqlite());
        assert_eq!(cli.config.redis_url.as_deref(), Some("redis://127.0.0.1/"));
        assert!(matches!(cli.command, Some(Command::Migrate)));
    }
}

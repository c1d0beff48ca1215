//! The administrator's diagnostics page: each part of the deployment checked when asked —
//! database (and its migrations), cache, session store, live events, the warehouse sync and
//! the scheduler's last runs for the caller's tenant.

use crate::cache::Cache;
use app::ssr::{Caller, DiagnosticsPort, JobsPort};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use shared::diagnostics::{CheckStatus, DiagnosticCheck, Diagnostics};
use shared::{AppError, Role};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the checks run against.
pub struct DiagnosticsService {
    pub db: DatabaseConnection,
    pub cache: Arc<dyn Cache>,
    pub jobs: Arc<dyn JobsPort>,
    /// Where sessions live: `redis` or `database`.
    pub sessions: &'static str,
    /// Whether live events travel through Redis (else within this process).
    pub live_over_redis: bool,
    /// The BigQuery table synced, when configured (`project.dataset.table`).
    pub warehouse: Option<String>,
    pub scheduler_enabled: bool,
}

fn check(
    name: &str,
    status: CheckStatus,
    detail: String,
    latency: Option<Duration>,
) -> DiagnosticCheck {
    DiagnosticCheck {
        name: name.into(),
        status,
        detail,
        latency_ms: latency.map(|d| d.as_secs_f64() * 1_000.0),
    }
}

impl DiagnosticsService {
    async fn database(&self) -> DiagnosticCheck {
        let started = Instant::now();
        let backend = match self.db.get_database_backend() {
            DbBackend::Postgres => "PostgreSQL",
            DbBackend::Sqlite => "SQLite",
            DbBackend::MySql => "MySQL",
        };
        let applied = tokio::time::timeout(
            Duration::from_secs(2),
            self.db.query_one(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT count(*) AS n FROM seaql_migrations",
            )),
        )
        .await;
        let latency = Some(started.elapsed());
        let known = {
            use migrations::MigratorTrait;
            migrations::Migrator::migrations().len() as i64
        };
        match applied {
            Ok(Ok(Some(row))) => {
                let n: i64 = row.try_get("", "n").unwrap_or(0);
                // PostgreSQL's second wall between tenants (migration 000015).
                let walled = match self.db.get_database_backend() {
                    DbBackend::Postgres => {
                        Some(crate::storage::tenant_scope::enforced(&self.db).await)
                    }
                    _ => None,
                };
                let status = if n == known && !matches!(walled, Some(Ok(false) | Err(_))) {
                    CheckStatus::Ok
                } else {
                    CheckStatus::Warning
                };
                let rls = match walled {
                    None => "",
                    Some(Ok(true)) => "; row-level security on",
                    Some(_) => "; row-level security off (the user may not use its role)",
                };
                check(
                    "database",
                    status,
                    format!("{backend}; {n} of {known} migrations applied{rls}"),
                    latency,
                )
            }
            Ok(Ok(None)) | Ok(Err(_)) => check(
                "database",
                CheckStatus::Failed,
                format!("{backend} does not answer queries"),
                latency,
            ),
            Err(_) => check(
                "database",
                CheckStatus::Failed,
                format!("{backend} did not answer within 2 s"),
                latency,
            ),
        }
    }

    async fn cache(&self) -> DiagnosticCheck {
        let started = Instant::now();
        let ok = matches!(
            tokio::time::timeout(Duration::from_secs(2), self.cache.ping()).await,
            Ok(Ok(()))
        );
        let kind = match self.cache.kind() {
            "redis" => "Redis",
            _ => "in-process memory (one server)",
        };
        if ok {
            check(
                "cache",
                CheckStatus::Ok,
                kind.into(),
                Some(started.elapsed()),
            )
        } else {
            check(
                "cache",
                CheckStatus::Warning,
                format!("{kind} unreachable: pages answer from the database, slower"),
                Some(started.elapsed()),
            )
        }
    }

    fn warehouse(&self, jobs: &[shared::jobs::JobInfo]) -> DiagnosticCheck {
        let Some(table) = &self.warehouse else {
            return check(
                "warehouse",
                CheckStatus::Off,
                "no BigQuery source configured".into(),
                None,
            );
        };
        let last = jobs
            .iter()
            .find(|j| j.name == "realtime_sync")
            .and_then(|j| j.runs.iter().find(|r| r.status != "running"));
        match last {
            Some(r) if r.status == "succeeded" => check(
                "warehouse",
                CheckStatus::Ok,
                format!(
                    "BigQuery {table}; last sync {} ({} rows)",
                    r.started_at.format("%Y-%m-%d %H:%M UTC"),
                    r.rows_processed
                ),
                None,
            ),
            Some(r) => check(
                "warehouse",
                CheckStatus::Failed,
                format!(
                    "BigQuery {table}; last sync {}: {}",
                    r.status,
                    r.error.clone().unwrap_or_default()
                ),
                None,
            ),
            None => check(
                "warehouse",
                CheckStatus::Warning,
                format!("BigQuery {table}; no sync has run yet"),
                None,
            ),
        }
    }

    fn scheduler(&self, jobs: &[shared::jobs::JobInfo]) -> DiagnosticCheck {
        if !self.scheduler_enabled {
            return check(
                "scheduler",
                CheckStatus::Warning,
                "switched off on this server (SCHEDULER_ENABLED=false)".into(),
                None,
            );
        }
        let scheduled = jobs.iter().filter(|j| j.schedule.is_some()).count();
        let failed: Vec<&str> = jobs
            .iter()
            .filter(|j| {
                j.runs
                    .iter()
                    .find(|r| r.status != "running")
                    .is_some_and(|r| r.status == "failed" || r.status == "crashed")
            })
            .map(|j| j.name.as_str())
            .collect();
        if failed.is_empty() {
            check(
                "scheduler",
                CheckStatus::Ok,
                format!("{scheduled} jobs scheduled; no last run failed"),
                None,
            )
        } else {
            check(
                "scheduler",
                CheckStatus::Warning,
                format!(
                    "{scheduled} jobs scheduled; last run failed: {}",
                    failed.join(", ")
                ),
                None,
            )
        }
    }
}

#[async_trait]
impl DiagnosticsPort for DiagnosticsService {
    async fn diagnostics(&self, caller: &Caller) -> Result<Diagnostics, AppError> {
        caller.require(Role::Admin)?;
        let jobs = self.jobs.jobs(caller).await?;
        let database = self.database().await;
        let cache = self.cache().await;
        let sessions = match self.sessions {
            "redis" => check(
                "sessions",
                if cache.status == CheckStatus::Ok {
                    CheckStatus::Ok
                } else {
                    CheckStatus::Failed
                },
                "Redis (sign-ins fail while it is down)".into(),
                None,
            ),
            _ => check("sessions", database.status, "database tables".into(), None),
        };
        let live = check(
            "live events",
            CheckStatus::Ok,
            if self.live_over_redis {
                "Redis pub/sub: every server's subscribers get every event".into()
            } else {
                "within this server (one server)".into()
            },
            None,
        );
        let warehouse = self.warehouse(&jobs);
        let scheduler = self.scheduler(&jobs);
        Ok(Diagnostics {
            version: env!("CARGO_PKG_VERSION").into(),
            checked_at: Utc::now(),
            checks: vec![database, cache, sessions, live, warehouse, scheduler],
        })
    }
}

//! Fires the jobs on their cron schedules (tokio-cron-scheduler) and runs each tick through
//! the ledger: claim, heartbeat while running, record the outcome.
//!
//! A tick is named by its scheduled minute (the firing time rounded to the nearest minute),
//! so the schedulers of several replicas name the same tick the same way and only the first
//! claim runs it.

use super::runs::{self, Claim};
use super::{Job, JobContext, JobReport, JobSettings, SYSTEM};
use crate::cache::Cache;
use crate::live::Live;
use crate::storage::entities::tenants;
use crate::warehouse::{ReadingSource, Sources};
use chrono::{DateTime, DurationRound, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, QuerySelect};
use std::sync::{Arc, RwLock};
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

/// A job with its schedule (`None`: switched off; it can still be run by hand).
#[derive(Clone)]
pub struct Registered {
    /// The job.
    pub job: Arc<dyn Job>,
    /// Six-field cron expression (seconds first), UTC.
    pub cron: Option<String>,
}

/// What became of a request to run a job for one tenant.
#[derive(Debug)]
pub enum Started {
    /// Running as ledger row `id`; the handle yields the outcome.
    Running(i64, tokio::task::JoinHandle<Result<JobReport, String>>),
    /// Another replica took this tick.
    Taken,
    /// A run of the job for this tenant is still in progress (the tick is recorded skipped).
    Overlap,
}

struct Inner {
    db: DatabaseConnection,
    cache: Arc<dyn Cache>,
    live: Live,
    sources: RwLock<Sources>,
    settings: JobSettings,
    jobs: Vec<Registered>,
    instance: String,
}

/// The scheduler of one server process.
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

/// Rounds a firing time to the tick it serves.
pub fn tick_of(fired: DateTime<Utc>) -> DateTime<Utc> {
    fired
        .duration_round(chrono::Duration::minutes(1))
        .unwrap_or(fired)
}

impl Scheduler {
    /// A scheduler over `jobs`, identified in the ledger as `instance`.
    pub fn new(
        db: DatabaseConnection,
        cache: Arc<dyn Cache>,
        live: Live,
        settings: JobSettings,
        jobs: Vec<Registered>,
        instance: String,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                cache,
                live,
                sources: RwLock::new(Sources::default()),
                settings,
                jobs,
                instance,
            }),
        }
    }

    /// Adds a reading source (the simulator once the demo tenant exists, BigQuery, …).
    pub fn add_source(&self, source: Arc<dyn ReadingSource>) {
        self.inner
            .sources
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .push(source);
    }

    fn sources(&self) -> Sources {
        self.inner
            .sources
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The registered jobs.
    pub fn jobs(&self) -> &[Registered] {
        &self.inner.jobs
    }

    /// The job called `name`.
    pub fn job(&self, name: &str) -> Option<&Registered> {
        self.inner.jobs.iter().find(|r| r.job.name() == name)
    }

    /// Claims the tick `scheduled_at` of `job` for `tenant_id` and, if this instance got it,
    /// starts the run in the background.
    pub async fn start_run(
        &self,
        job: Arc<dyn Job>,
        tenant_id: i64,
        scheduled_at: DateTime<Utc>,
        trigger: &str,
    ) -> Result<Started, sea_orm::DbErr> {
        let db = self.inner.db.clone();
        let claim = runs::claim(
            &db,
            job.name(),
            tenant_id,
            scheduled_at,
            trigger,
            &self.inner.instance,
        )
        .await?;
        let id = match claim {
            Claim::Run(id) => id,
            Claim::Taken => return Ok(Started::Taken),
            Claim::Overlap => {
                tracing::info!(
                    job = job.name(),
                    tenant_id,
                    "tick skipped: previous run still going"
                );
                return Ok(Started::Overlap);
            }
        };
        let ctx = JobContext {
            db: db.clone(),
            cache: self.inner.cache.clone(),
            live: self.inner.live.clone(),
            sources: self.sources(),
            settings: self.inner.settings,
            tenant_id,
            scheduled_at,
        };
        let live = self.inner.live.clone();
        let handle = tokio::spawn(async move {
            let beat_db = db.clone();
            let heartbeat = tokio::spawn(async move {
                let mut every = tokio::time::interval(runs::HEARTBEAT);
                every.tick().await;
                loop {
                    every.tick().await;
                    if let Err(e) = runs::heartbeat(&beat_db, id).await {
                        tracing::warn!(error = %e, run = id, "job heartbeat failed");
                    }
                }
            });
            let started = std::time::Instant::now();
            let outcome = job.run(&ctx).await.map_err(|e| format!("{e:#}"));
            heartbeat.abort();
            match &outcome {
                Ok(r) => tracing::info!(
                    job = job.name(),
                    tenant_id,
                    run = id,
                    rows = r.rows,
                    secs = started.elapsed().as_secs_f64(),
                    "job succeeded"
                ),
                Err(e) => {
                    tracing::error!(job = job.name(), tenant_id, run = id, error = %e, "job failed")
                }
            }
            if let Err(e) = runs::finish(&db, id, &outcome).await {
                tracing::error!(error = %e, run = id, "could not record a job's outcome");
            }
            if tenant_id != SYSTEM {
                live.publish(
                    tenant_id,
                    shared::live::LiveEvent::JobRun {
                        job: job.name().to_owned(),
                        run_id: id,
                        status: if outcome.is_ok() {
                            "succeeded"
                        } else {
                            "failed"
                        }
                        .into(),
                    },
                )
                .await;
            }
            outcome
        });
        Ok(Started::Running(id, handle))
    }

    /// Runs one tick of `job` for every tenant (or once for a system job) and waits for the
    /// runs this instance claimed. Returns how many it ran.
    pub async fn tick(
        &self,
        job: Arc<dyn Job>,
        scheduled_at: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        self.tick_as(job, scheduled_at, "schedule").await
    }

    /// [`Scheduler::tick`], recorded in the ledger with `trigger`.
    async fn tick_as(
        &self,
        job: Arc<dyn Job>,
        scheduled_at: DateTime<Utc>,
        trigger: &str,
    ) -> anyhow::Result<u64> {
        let tenants: Vec<i64> = if job.per_tenant() {
            tenants::Entity::find()
                .select_only()
                .column(tenants::Column::Id)
                .into_tuple()
                .all(&self.inner.db)
                .await?
        } else {
            vec![SYSTEM]
        };
        let mut ran = 0;
        for tenant_id in tenants {
            if let Started::Running(_, handle) = self
                .start_run(job.clone(), tenant_id, scheduled_at, trigger)
                .await?
            {
                let _ = handle.await;
                ran += 1;
            }
        }
        Ok(ran)
    }

    /// Starts the cron timers of every scheduled job. Keep the returned scheduler alive.
    pub async fn start(&self) -> anyhow::Result<JobScheduler> {
        runs::mark_crashed(&self.inner.db, Utc::now()).await?;
        let cron = JobScheduler::new().await?;
        for registered in &self.inner.jobs {
            let Some(expr) = registered.cron.clone() else {
                tracing::info!(job = registered.job.name(), "job switched off");
                continue;
            };
            let me = self.clone();
            let job = registered.job.clone();
            cron.add(CronJob::new_async(expr.as_str(), move |_, _| {
                let (me, job) = (me.clone(), job.clone());
                Box::pin(async move {
                    let tick = tick_of(Utc::now());
                    if let Err(e) = me.tick(job.clone(), tick).await {
                        tracing::error!(job = job.name(), error = %e, "scheduled tick failed");
                    }
                })
            })?)
            .await?;
            tracing::info!(job = registered.job.name(), cron = %expr, "job scheduled");
        }
        cron.start().await?;
        Ok(cron)
    }

    /// Runs, in the background, the last tick before `now` of every job that
    /// [catches up](Job::catches_up), for the tenants no server has run it for.
    pub fn catch_up(&self, now: DateTime<Utc>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut started = Vec::new();
        for registered in &self.inner.jobs {
            let Some(expr) = registered.cron.as_deref() else {
                continue;
            };
            if !registered.job.catches_up() {
                continue;
            }
            let Some(missed) = previous_tick(expr, now) else {
                tracing::warn!(job = registered.job.name(), cron = expr, "no previous tick");
                continue;
            };
            let (me, job) = (self.clone(), registered.job.clone());
            started.push(tokio::spawn(async move {
                match me.tick_as(job.clone(), missed, "catch_up").await {
                    Ok(0) => {}
                    Ok(ran) => {
                        tracing::info!(job = job.name(), tick = %missed, ran, "missed tick run")
                    }
                    Err(e) => tracing::error!(job = job.name(), error = %e, "catching up failed"),
                }
            }));
        }
        started
    }
}

/// The last firing time of `cron` (six fields, seconds first, UTC) at or before `now`, named
/// as its tick.
pub fn previous_tick(cron: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let schedule = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .build()
        .parse(cron)
        .ok()?;
    schedule
        .find_previous_occurrence(&now, true)
        .ok()
        .map(tick_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_tick_is_the_last_firing_at_or_before_now() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let daily = "0 0 6 * * *";
        assert_eq!(
            previous_tick(daily, at("2026-03-01T05:59:59Z")),
            Some(at("2026-02-28T06:00:00Z"))
        );
        assert_eq!(
            previous_tick(daily, at("2026-03-01T06:00:00Z")),
            Some(at("2026-03-01T06:00:00Z"))
        );
        assert_eq!(
            previous_tick(daily, at("2026-03-01T18:30:00Z")),
            Some(at("2026-03-01T06:00:00Z"))
        );
        // Weekly, on Sundays (1 March 2026 is a Sunday).
        assert_eq!(
            previous_tick("0 0 3 * * Sun", at("2026-03-04T12:00:00Z")),
            Some(at("2026-03-01T03:00:00Z"))
        );
        assert_eq!(
            previous_tick("0 2/15 * * * *", at("2026-03-01T10:16:40Z")),
            Some(at("2026-03-01T10:02:00Z"))
        );
        assert_eq!(previous_tick("every day", at("2026-03-01T10:00:00Z")), None);
    }

    #[test]
    fn firing_times_round_to_their_minute() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            tick_of(at("2026-03-01T05:00:00.004Z")),
            at("2026-03-01T05:00:00Z")
        );
        assert_eq!(
            tick_of(at("2026-03-01T04:59:59.700Z")),
            at("2026-03-01T05:00:00Z")
        );
        assert_eq!(
            tick_of(at("2026-03-01T05:00:29Z")),
            at("2026-03-01T05:00:00Z")
        );
    }
}

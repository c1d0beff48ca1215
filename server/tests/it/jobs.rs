//! The scheduler's ledger (once per tick across replicas, no overlap, crashed runs marked,
//! missed daily ticks caught up once), the jobs API, the import folder and maintenance.

use crate::support::*;
use async_trait::async_trait;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use server::cache::MemoryCache;
use server::jobs::scheduler::{Registered, Started};
use server::jobs::{runs, Job, JobContext, JobReport, JobSettings, Scheduler};
use server::storage::entities::job_runs;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct Counting {
    runs: AtomicU64,
    sleep: std::time::Duration,
}

#[async_trait]
impl Job for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn description(&self) -> &'static str {
        "counts its runs"
    }
    async fn run(&self, _ctx: &JobContext) -> anyhow::Result<JobReport> {
        tokio::time::sleep(self.sleep).await;
        let n = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(JobReport {
            rows: 1,
            detail: format!("run {n}"),
        })
    }
}

fn settings() -> JobSettings {
    JobSettings {
        backfill: Duration::days(1),
        resync_window: Duration::hours(48),
        stale_intervals: 4,
        keep_runs: Duration::days(90),
        keep_incidents: Duration::days(365),
    }
}

pub(crate) fn scheduler(
    db: &sea_orm::DatabaseConnection,
    job: Arc<dyn Job>,
    name: &str,
) -> Scheduler {
    scheduler_of(db, vec![Registered { job, cron: None }], name)
}

/// A replica called `name` with `jobs`.
fn scheduler_of(db: &sea_orm::DatabaseConnection, jobs: Vec<Registered>, name: &str) -> Scheduler {
    let cache: Arc<dyn server::cache::Cache> = Arc::new(MemoryCache::new(100));
    let live = server::live::Live::new(None, server::cache::JsonCache::new(cache.clone()));
    Scheduler::new(db.clone(), cache, live, settings(), jobs, name.into())
}

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn two_replicas_run_each_tick_exactly_once() {
    each_engine(|db| async move {
        let (_, _demo) = state_with_demo(&db).await;
        new_tenant(&db, "second").await;
        let job = Arc::new(Counting {
            runs: AtomicU64::new(0),
            sleep: std::time::Duration::from_millis(20),
        });
        let a = scheduler(&db, job.clone(), "replica-a");
        let b = scheduler(&db, job.clone(), "replica-b");
        let ticks = 5;
        for i in 0..ticks {
            let tick = at("2026-03-01T00:00:00Z") + Duration::minutes(5 * i);
            let (ra, rb) = tokio::join!(a.tick(job.clone(), tick), b.tick(job.clone(), tick));
            assert_eq!(ra.unwrap() + rb.unwrap(), 2, "tick {i}: one run per tenant");
        }
        assert_eq!(job.runs.load(Ordering::SeqCst), 2 * ticks as u64);
        let rows = job_runs::Entity::find()
            .filter(job_runs::Column::Job.eq("counting"))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2 * ticks as usize);
        assert!(rows
            .iter()
            .all(|r| r.status == "succeeded" && r.finished_at.is_some()));
    })
    .await;
}

/// A daily report: catches up a tick missed while no server ran.
struct Daily(AtomicU64);

#[async_trait]
impl Job for Daily {
    fn name(&self) -> &'static str {
        "daily"
    }
    fn description(&self) -> &'static str {
        "a daily report"
    }
    fn catches_up(&self) -> bool {
        true
    }
    async fn run(&self, _ctx: &JobContext) -> anyhow::Result<JobReport> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(JobReport {
            rows: 1,
            detail: String::new(),
        })
    }
}

#[tokio::test]
async fn a_missed_daily_tick_runs_once_at_start_up_across_replicas_and_restarts() {
    each_engine(|db| async move {
        let (_, _demo) = state_with_demo(&db).await;
        new_tenant(&db, "second").await;
        let daily = Arc::new(Daily(AtomicU64::new(0)));
        let frequent = Arc::new(Counting {
            runs: AtomicU64::new(0),
            sleep: std::time::Duration::ZERO,
        });
        let replica = |name: &str| {
            let jobs = vec![
                Registered {
                    job: daily.clone(),
                    cron: Some("0 0 6 * * *".into()),
                },
                // Not a catching-up job: left to its next tick.
                Registered {
                    job: frequent.clone(),
                    cron: Some("0 */5 * * * *".into()),
                },
            ];
            scheduler_of(&db, jobs, name)
        };
        let (a, b) = (replica("replica-a"), replica("replica-b"));
        let finish = |runs: Vec<tokio::task::JoinHandle<()>>| async move {
            for run in runs {
                run.await.unwrap();
            }
        };
        // Two replicas start at 09:00, the 06:00 report never made: one run per tenant.
        let start = at("2026-03-02T09:00:00Z");
        let (ra, rb) = (a.catch_up(start), b.catch_up(start));
        assert_eq!(
            (ra.len(), rb.len()),
            (1, 1),
            "only the daily job catches up"
        );
        tokio::join!(finish(ra), finish(rb));
        assert_eq!(daily.0.load(Ordering::SeqCst), 2);
        assert_eq!(frequent.runs.load(Ordering::SeqCst), 0);
        let rows = job_runs::Entity::find()
            .filter(job_runs::Column::Job.eq("daily"))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows
            .iter()
            .all(|r| r.scheduled_at == at("2026-03-02T06:00:00Z")
                && r.trigger == "catch_up"
                && r.status == "succeeded"));
        // A restart the same afternoon: that tick has run, nothing to catch up.
        finish(a.catch_up(at("2026-03-02T15:00:00Z"))).await;
        assert_eq!(daily.0.load(Ordering::SeqCst), 2);
        // Down over the next morning's tick: back at 07:00, that day's report is made.
        finish(b.catch_up(at("2026-03-03T07:00:00Z"))).await;
        assert_eq!(daily.0.load(Ordering::SeqCst), 4);
        // The tick itself, when the timer fires on another replica, is then not run again.
        let ran = a
            .tick(daily.clone(), at("2026-03-03T06:00:00Z"))
            .await
            .unwrap();
        assert_eq!(ran, 0);
    })
    .await;
}

#[tokio::test]
async fn a_run_still_going_makes_the_next_tick_skip_and_dead_runs_are_marked() {
    each_engine(|db| async move {
        let (_, demo) = state_with_demo(&db).await;
        let job = Arc::new(Counting {
            runs: AtomicU64::new(0),
            sleep: std::time::Duration::from_millis(400),
        });
        let a = scheduler(&db, job.clone(), "replica-a");
        let first = a
            .start_run(
                job.clone(),
                demo.tenant_id,
                at("2026-03-01T00:00:00Z"),
                "schedule",
            )
            .await
            .unwrap();
        let second = a
            .start_run(
                job.clone(),
                demo.tenant_id,
                at("2026-03-01T00:05:00Z"),
                "schedule",
            )
            .await
            .unwrap();
        assert!(matches!(second, Started::Overlap), "{second:?}");
        let Started::Running(id, handle) = first else {
            panic!("{first:?}")
        };
        assert_eq!(handle.await.unwrap().unwrap().detail, "run 1");
        let statuses: Vec<(i64, String)> = job_runs::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.status))
            .collect();
        assert!(statuses.contains(&(id, "succeeded".into())));
        assert!(statuses.iter().any(|(_, s)| s == "skipped"));

        // A run whose process died: its heartbeat stopped ten minutes ago.
        let now = Utc::now();
        job_runs::Entity::insert(job_runs::ActiveModel {
            job: Set("counting".into()),
            tenant_id: Set(demo.tenant_id),
            trigger: Set("schedule".into()),
            scheduled_at: Set(now - Duration::minutes(15)),
            started_at: Set(now - Duration::minutes(15)),
            finished_at: Set(None),
            heartbeat_at: Set(now - Duration::minutes(10)),
            status: Set("running".into()),
            rows_processed: Set(0),
            detail: Set(None),
            error: Set(None),
            instance: Set("gone:1".into()),
            ..Default::default()
        })
        .exec(&db)
        .await
        .unwrap();
        assert_eq!(runs::mark_crashed(&db, now).await.unwrap(), 1);
        let dead = job_runs::Entity::find()
            .filter(job_runs::Column::Instance.eq("gone:1"))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(dead.status, "crashed");
        assert!(dead.error.unwrap().contains("stopped"));
        // …and it no longer blocks the job.
        let next = a
            .start_run(job.clone(), demo.tenant_id, now, "manual")
            .await
            .unwrap();
        assert!(matches!(next, Started::Running(..)), "{next:?}");
    })
    .await;
}

#[tokio::test]
async fn admins_list_jobs_and_run_one_for_their_tenant() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    fill_demo(&t.db, &demo, Utc::now()).await;
    let app = server::web::app(state);
    let admin = login_token(&app).await;
    let jobs = send(&app, get("/api/v1/jobs", Some(&admin))).await;
    assert_eq!(jobs.status, StatusCode::OK, "{}", jobs.text());
    let names: Vec<String> = jobs
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "realtime_sync",
            "full_sync",
            "cache_refresh",
            "data_quality",
            "anomaly_detection",
            "network_efficiency",
            "cleanup",
            "maintenance"
        ]
    );
    let no_report = send(&app, get("/api/v1/data-quality", Some(&admin))).await;
    assert_eq!(no_report.status, StatusCode::NOT_FOUND);

    let run = |name: &str, token: &str| {
        axum::http::Request::post(format!("/api/v1/jobs/{name}/run"))
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let started = send(&app, run("data_quality", &admin)).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text());
    let run_id = started.json()["run_id"].as_i64().unwrap();
    let mut status = String::new();
    for _ in 0..100 {
        let jobs = send(&app, get("/api/v1/jobs", Some(&admin))).await.json();
        let dq = jobs
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == "data_quality")
            .unwrap()
            .clone();
        let latest = &dq["runs"][0];
        assert_eq!(latest["id"], run_id);
        status = latest["status"].as_str().unwrap().to_owned();
        if status != "running" {
            assert_eq!(latest["trigger"], "manual");
            assert!(latest["duration_ms"].as_i64().is_some());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "succeeded");
    let report = send(&app, get("/api/v1/data-quality", Some(&admin))).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text());
    assert_eq!(report.json()["series"], 9);

    assert_eq!(
        send(&app, run("maintenance", &admin)).await.status,
        StatusCode::FORBIDDEN,
        "system-wide jobs are not a tenant's to start"
    );
    assert_eq!(
        send(&app, run("no_such_job", &admin)).await.status,
        StatusCode::NOT_FOUND
    );
    let viewer = token_for_role(&app, &t.db, demo.tenant_id, "viewer").await;
    assert_eq!(
        send(&app, get("/api/v1/jobs", Some(&viewer))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, run("data_quality", &viewer)).await.status,
        StatusCode::FORBIDDEN
    );
    let bad_day = send(
        &app,
        get("/api/v1/data-quality?day=yesterday", Some(&admin)),
    )
    .await;
    assert_eq!(bad_day.status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn drop_file(dir: &std::path::Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    // Old enough to be taken (files still being written are left alone).
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .unwrap();
}

#[tokio::test]
async fn files_in_the_import_folder_are_imported_once() {
    use sea_orm::PaginatorTrait;
    use server::storage::entities::{imported_files, nodes, readings};
    each_engine(|db| async move {
        let (_, _demo) = state_with_demo(&db).await;
        let root = tempfile::tempdir().unwrap();
        let inbox = root.path().join("demo");
        std::fs::create_dir_all(&inbox).unwrap();
        let job: Arc<dyn Job> = Arc::new(server::jobs::directory_import::DirectoryImport {
            root: root.path().to_path_buf(),
        });
        let a = scheduler(&db, job.clone(), "replica-a");
        let csv = "timestamp,node_id,metric,value\n\
                   2026-03-01T00:00:00Z,P01,pressure,3.1\n\
                   2026-03-01T00:15:00Z,P01,pressure,3.2\n\
                   2026-03-01T00:30:00Z,NOPE,pressure,3.3\n";
        drop_file(&inbox, "a-readings.csv", csv);
        drop_file(
            &inbox,
            "b-nodes.csv",
            "node_id,name,kind,lat,lon,district\nP99,New logger,pressure,39.2,9.1,DMA Castello\n",
        );
        drop_file(&inbox, "c-broken.csv", "what,is,this\n1,2,3\n");
        a.tick(job.clone(), at("2026-03-01T01:00:00Z"))
            .await
            .unwrap();
        assert_eq!(readings::Entity::find().count(&db).await.unwrap(), 2);
        assert!(nodes::Entity::find()
            .filter(nodes::Column::ExternalId.eq("P99"))
            .one(&db)
            .await
            .unwrap()
            .is_some());
        let files = imported_files::Entity::find().all(&db).await.unwrap();
        let status = |name: &str| files.iter().find(|f| f.file_name == name).unwrap().clone();
        let a_file = status("a-readings.csv");
        assert_eq!(
            (a_file.status.as_str(), a_file.inserted, a_file.rejected),
            ("imported", 2, 1)
        );
        assert_eq!(status("b-nodes.csv").status, "imported");
        let broken = status("c-broken.csv");
        assert_eq!(broken.status, "failed");
        assert!(
            broken.error.unwrap().contains("header"),
            "the reason is kept"
        );
        assert!(inbox.join("done/a-readings.csv").exists());
        assert!(inbox.join("failed/c-broken.csv").exists());

        // The same content again, under another name: not imported twice.
        drop_file(&inbox, "a-again.csv", csv);
        a.tick(job.clone(), at("2026-03-01T01:01:00Z"))
            .await
            .unwrap();
        assert_eq!(imported_files::Entity::find().count(&db).await.unwrap(), 3);
        assert!(inbox.join("done/a-again.csv").exists());
        let run = job_runs::Entity::find()
            .filter(job_runs::Column::ScheduledAt.eq(at("2026-03-01T01:01:00Z")))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(run.detail.unwrap().contains("1 already imported"));
    })
    .await;
}

#[tokio::test]
async fn maintenance_deletes_expired_sessions_with_their_tokens() {
    use sea_orm::PaginatorTrait;
    use server::storage::entities::{refresh_tokens, sessions};
    each_engine(|db| async move {
        let (state, _) = state_with_demo(&db).await;
        let app = server::web::app(state.clone());
        login_token(&app).await; // a live session with its refresh token
        let now = Utc::now();
        sessions::Entity::insert(sessions::ActiveModel {
            token_hash: Set("expired-session".into()),
            user_id: Set(1),
            tenant_id: Set(1),
            created_at: Set(now - Duration::days(2)),
            expires_at: Set(now - Duration::days(1)),
            ip: Set(None),
        })
        .exec(&db)
        .await
        .unwrap();
        refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
            token_hash: Set("f".repeat(64)),
            session_hash: Set("expired-session".into()),
            created_at: Set(now - Duration::days(2)),
            expires_at: Set(now + Duration::days(1)),
            used_at: Set(None),
        })
        .exec(&db)
        .await
        .unwrap();
        let job = state.scheduler.job("maintenance").unwrap().job.clone();
        assert_eq!(state.scheduler.tick(job, now).await.unwrap(), 1);
        assert_eq!(sessions::Entity::find().count(&db).await.unwrap(), 1);
        assert_eq!(refresh_tokens::Entity::find().count(&db).await.unwrap(), 1);
        assert!(sessions::Entity::find_by_id("expired-session".to_owned())
            .one(&db)
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

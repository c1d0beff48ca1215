//! Live events over Server-Sent Events, and the cache: hits and misses, invalidation on new
//! data, and a Redis outage the app rides out.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use chrono::Utc;
use http_body_util::BodyExt;
use server::cache::{MemoryCache, RedisCache};
use server::config::SessionStoreKind;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// Opens the event stream and returns its body.
async fn subscribe(app: &Router, token: &str) -> Body {
    let req = Request::get("/api/v1/events")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    res.into_body()
}

/// The next event (name, JSON data), waiting at most `wait`.
async fn next_event(body: &mut Body, wait: Duration) -> Option<(String, serde_json::Value)> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut text = String::new();
    loop {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .ok()??
            .ok()?;
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        if let Some(end) = text.find("\n\n") {
            let block = text[..end].to_owned();
            text.drain(..end + 2);
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if !name.is_empty() {
                return Some((name, serde_json::from_str(&data).unwrap()));
            }
        }
    }
}

fn post_reading(token: &str, node: &str, value: f64) -> Request<Body> {
    let body = format!(
        r#"[{{"node_id":"{node}","metric":"pressure","timestamp":"{}","value":{value}}}]"#,
        Utc::now().to_rfc3339()
    );
    Request::post("/api/v1/readings")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_new_reading_reaches_its_tenants_subscribers_within_a_second() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let live = state.live.clone();
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let mut stream = subscribe(&app, &token).await;

    // Another tenant's readings are not for this stream.
    let other = new_tenant(&t.db, "other").await;
    server::ingest::import_nodes(
        &t.db,
        other,
        "node_id,name,kind\nBX1,b,pressure\n".as_bytes(),
    )
    .await
    .unwrap();
    let items = vec![serde_json::json!({"node_id": "BX1", "metric": "pressure",
        "timestamp": Utc::now().to_rfc3339(), "value": 7.777})];
    server::ingest::import::import_json(&t.db, Some(&live), other, &items)
        .await
        .unwrap();

    let sent = std::time::Instant::now();
    let reply = send(&app, post_reading(&token, "P01", 4.321)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let (name, data) = next_event(&mut stream, Duration::from_secs(1))
        .await
        .expect("no event within a second");
    assert!(sent.elapsed() < Duration::from_secs(1));
    assert_eq!(name, "readings");
    assert_eq!(data["count"], 1);
    assert_eq!(data["latest"][0]["node_id"], demo.node_ids["P01"]);
    assert_eq!(data["latest"][0]["value"], 4.321);
    assert!(
        !data.to_string().contains("7.777"),
        "another tenant's event leaked"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private Redis server, so the test can stop and start it; stopped when dropped.
struct PrivateRedis(Child);

impl PrivateRedis {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn start_redis(port: u16) -> PrivateRedis {
    let child = PrivateRedis(
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server) is required"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server did not start on port {port}");
}

#[tokio::test]
async fn the_cache_serves_hits_follows_new_data_and_rides_out_a_redis_outage() {
    let t = TestDb::sqlite().await;
    let port = free_port();
    let mut redis = start_redis(port);
    let url = format!("redis://127.0.0.1:{port}/");
    let cache = Arc::new(RedisCache::connect(&url).await.unwrap());
    // Sessions in the database: this test is about the cache riding out the outage (with
    // sessions in Redis the next test shows what an outage does to them).
    let (state, demo) = state_with_cache(&t.db, cache, Some(url.clone()), |c| {
        c.session_store = Some(SessionStoreKind::Database)
    })
    .await;
    // The summary counts the last 24 h's readings: the same count twice needs the window not
    // to slide past a feed step in between.
    clear_of_feed_step(Duration::from_secs(30)).await;
    fill_demo(&t.db, &demo, Utc::now()).await;
    let stats = state.json_cache.clone();
    tokio::spawn(state.live.clone().listen());
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let summary = || async {
        let reply = send(&app, get("/api/v1/dashboard/summary", Some(&token))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()["readings_24h"].as_i64().unwrap()
    };

    let first = summary().await;
    assert_eq!(summary().await, first);
    assert_eq!(
        stats.stats().snapshot(),
        (1, 1, 0),
        "(hits, misses, errors)"
    );

    // New data drops the cached summary: the next answer counts it.
    tokio::time::sleep(Duration::from_millis(300)).await; // Redis subscription ready
    let mut stream = subscribe(&app, &token).await;
    assert_eq!(
        send(&app, post_reading(&token, "P02", 3.9)).await.status,
        StatusCode::OK
    );
    assert_eq!(summary().await, first + 1);
    assert_eq!(stats.stats().snapshot().1, 2, "a miss after invalidation");
    let (name, _) = next_event(&mut stream, Duration::from_secs(2))
        .await
        .expect("the event came back through Redis");
    assert_eq!(name, "readings");

    // Redis stops: answers keep coming from the database, readiness says degraded.
    redis.stop();
    assert_eq!(summary().await, first + 1);
    assert!(stats.stats().snapshot().2 >= 1, "the outage was noticed");
    let ready = send(&app, get("/readyz", None)).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "degraded");
    assert_eq!(ready.json()["sessions"]["kind"], "database");
    assert_eq!(ready.json()["sessions"]["status"], "ok");
    assert_eq!(ready.json()["cache"]["status"], "unreachable");

    // Redis returns: the cache is used again, with no restart.
    let _redis = start_redis(port);
    let hits_before = stats.stats().snapshot().0;
    let mut recovered = false;
    for _ in 0..40 {
        summary().await;
        if stats.stats().snapshot().0 > hits_before {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "cache not used again after Redis came back");
    let ready = send(&app, get("/readyz", None)).await;
    assert_eq!(ready.json()["status"], "ready");
}

#[tokio::test]
async fn with_sessions_in_redis_an_outage_answers_503_and_sign_in_works_again_after() {
    let t = TestDb::sqlite().await;
    let port = free_port();
    let mut redis = start_redis(port);
    let url = format!("redis://127.0.0.1:{port}/");
    let cache = Arc::new(RedisCache::connect(&url).await.unwrap());
    let (state, _) = state_with_cache(&t.db, cache, Some(url), |_| {}).await;
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let me = |token: String| {
        let app = app.clone();
        async move { send(&app, get("/api/v1/auth/me", Some(&token))).await }
    };
    assert_eq!(me(token.clone()).await.status, StatusCode::OK);

    redis.stop();
    let reply = me(token.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert_eq!(reply.json()["code"], "unavailable");
    // Readiness says so too: nobody can be authenticated on this server now.
    let ready = send(&app, get("/readyz", None)).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["status"], "unavailable");
    assert_eq!(ready.json()["sessions"]["kind"], "redis");
    assert_eq!(ready.json()["sessions"]["status"], "unreachable");

    // This Redis keeps nothing on disk: its sessions are gone, sign-in works again.
    let _redis = start_redis(port);
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..40 {
        status = me(token.clone()).await.status;
        if status != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the lost session is refused"
    );
    let again = login_token(&app).await;
    assert_eq!(me(again).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_in_process_cache_counts_hits_and_misses_too() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_cache(&t.db, Arc::new(MemoryCache::new(100)), None, |_| {}).await;
    let stats = state.json_cache.clone();
    let app = server::web::app(state);
    let token = login_token(&app).await;
    for _ in 0..3 {
        let reply = send(&app, get("/api/v1/dashboard/summary", Some(&token))).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(stats.stats().snapshot(), (2, 1, 0));
}

#[tokio::test]
async fn the_monitoring_page_shows_quiet_sensors_and_the_quality_report() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    // Everyone but the tank reported in the last hour.
    let now = Utc::now();
    let rows: Vec<_> =
        server::demo::feed::readings_between(&demo, now - chrono::Duration::hours(2), now)
            .into_iter()
            .filter(|r| r.node_id != demo.node_ids["T01"])
            .collect();
    server::storage::readings::upsert(&t.db, demo.tenant_id, &rows)
        .await
        .unwrap();
    let report =
        server::jobs::data_quality::compute(&t.db, demo.tenant_id, now.date_naive(), now, 4)
            .await
            .unwrap();
    server::jobs::data_quality::store(&t.db, demo.tenant_id, &report)
        .await
        .unwrap();
    let app = server::web::app(state);
    let viewer = token_for_role(&app, &t.db, demo.tenant_id, "viewer").await;
    let req = Request::get("/monitoring")
        .header("cookie", format!("rw_access={viewer}"))
        .header("accept", "text/html")
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, req).await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.text();
    assert!(html.contains("Live monitoring"));
    assert!(
        html.contains("Tank San Michele"),
        "the silent tank is listed"
    );
    assert!(
        !html.contains("Logger Via Roma</strong>"),
        "reporting loggers are not"
    );
    assert!(
        html.contains(&format!("Score {:.0}/100", report.score)),
        "the stored report is shown"
    );
    assert!(
        html.contains("Job runs are shown to the tenant"),
        "a viewer sees no job details"
    );
}

#[tokio::test]
async fn the_hourly_refresh_warms_the_summary_before_the_first_visit() {
    let t = TestDb::sqlite().await;
    let (state, demo) =
        state_with_cache(&t.db, Arc::new(MemoryCache::new(100)), None, |_| {}).await;
    fill_demo(&t.db, &demo, Utc::now()).await;
    let job = state.scheduler.job("cache_refresh").unwrap().job.clone();
    assert_eq!(state.scheduler.tick(job, Utc::now()).await.unwrap(), 1);
    let stats = state.json_cache.clone();
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let reply = send(&app, get("/api/v1/dashboard/summary", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.json()["readings_24h"].as_i64().unwrap() > 0);
    assert_eq!(
        stats.stats().snapshot(),
        (1, 0, 0),
        "the first visit is a hit"
    );
}

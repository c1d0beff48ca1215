//! Shared set-up: fresh databases on both engines, a seeded demo tenant, request helpers.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::cache::MemoryCache;
use server::demo::seed::DemoTenant;
use server::{AppState, Config};
use std::sync::Arc;
use tower::ServiceExt;

pub const DEMO_EMAIL: &str = "admin@roccavina.demo";
pub const DEMO_PASSWORD: &str = "test-password-123";

/// The PostgreSQL server used for tests (a database is created per test).
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The Redis server used for tests.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// A database of one engine that lives as long as the test.
pub struct TestDb {
    pub db: DatabaseConnection,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new SQLite file in a temporary folder, migrated.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
        let db = server::storage::connect(&url, 4).await.unwrap();
        Self {
            db,
            cleanup: None,
            _dir: Some(dir),
        }
    }

    /// A new, empty PostgreSQL database on the test server, migrated.
    pub async fn postgres() -> Self {
        let admin_url = postgres_admin_url();
        let name = format!("rw_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is required: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let base = admin_url.rsplit_once('/').unwrap().0;
        let url = format!("{base}/{name}");
        // The server's default pool size (a bulk load uses several connections).
        let db = server::storage::connect(&url, 10).await.unwrap();
        Self {
            db,
            cleanup: Some((admin_url, name)),
            _dir: None,
        }
    }

    /// Drops a PostgreSQL test database (SQLite files go with their folder).
    pub async fn drop_db(self) {
        self.db.close().await.unwrap();
        if let Some((admin_url, name)) = self.cleanup {
            let admin = Database::connect(&admin_url).await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .unwrap();
        }
    }
}

/// Leptos options as cargo-leptos would provide them.
pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder().output_name("roccavina").build()
}

/// App state over `db` with an in-process cache and the demo tenant seeded (no readings).
pub async fn state_with_demo(db: &DatabaseConnection) -> (AppState, DemoTenant) {
    state_with_config(db, |_| {}).await
}

/// Like [`state_with_demo`], with the test configuration adjusted by `tune`.
pub async fn state_with_config(
    db: &DatabaseConnection,
    tune: impl FnOnce(&mut Config),
) -> (AppState, DemoTenant) {
    let mut config = Config::for_tests("sqlite::memory:");
    tune(&mut config);
    let demo = server::demo::seed::ensure(db, DEMO_EMAIL, DEMO_PASSWORD)
        .await
        .unwrap();
    let state = AppState::from_parts(
        config,
        leptos_options(),
        db.clone(),
        Arc::new(MemoryCache::new(1000)),
    );
    (state, demo)
}

/// App state over `db` with `cache`, publishing live events through Redis at `redis_url`
/// (sessions there too unless `tune` says otherwise).
pub async fn state_with_cache(
    db: &DatabaseConnection,
    cache: Arc<dyn server::cache::Cache>,
    redis_url: Option<String>,
    tune: impl FnOnce(&mut Config),
) -> (AppState, DemoTenant) {
    let mut config = Config::for_tests("sqlite::memory:");
    config.redis_url = redis_url;
    tune(&mut config);
    let demo = server::demo::seed::ensure(db, DEMO_EMAIL, DEMO_PASSWORD)
        .await
        .unwrap();
    let state = AppState::from_parts(config, leptos_options(), db.clone(), cache);
    (state, demo)
}

/// Fills the demo tenant's last 24 h before `now`.
/// Waits until the clock is at least `margin` away from the next demo-feed step: a test that
/// compares counts over a window ending now would otherwise see the window's start slide past
/// one step's readings between two requests.
pub async fn clear_of_feed_step(margin: std::time::Duration) {
    let step = server::demo::feed::STEP_MINUTES * 60_000;
    let ms = Utc::now().timestamp_millis();
    let to_next = step - ms.rem_euclid(step);
    if (to_next as u128) < margin.as_millis() {
        tokio::time::sleep(std::time::Duration::from_millis(to_next as u64 + 100)).await;
    }
}

pub async fn fill_demo(db: &DatabaseConnection, demo: &DemoTenant, now: DateTime<Utc>) -> u64 {
    server::demo::feed::fill(db, demo, None, now)
        .await
        .unwrap()
        .0
}

/// A finished response: status, headers, body bytes.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// A server function's reply, decoded from the app's binary wire format.
    pub fn wire<T: serde::de::DeserializeOwned>(&self) -> T {
        postcard::from_bytes(&self.body).unwrap_or_else(|e| {
            panic!(
                "not a {} ({e}): {}",
                std::any::type_name::<T>(),
                self.text()
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request through the router.
pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// A JSON POST.
pub fn post_json(uri: &str, body: &serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// A GET with an optional bearer token.
pub fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.body(Body::empty()).unwrap()
}

/// Logs in through the REST API and returns the bearer token.
pub async fn login_token(app: &Router) -> String {
    let reply = send(
        app,
        post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD}),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

/// A tenant with no users or nodes.
pub async fn new_tenant(db: &DatabaseConnection, slug: &str) -> i64 {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    server::storage::entities::tenants::ActiveModel {
        slug: Set(slug.into()),
        name: Set(format!("Tenant {slug}")),
        time_zone: Set("Europe/Rome".into()),
        raw_retention_days: Set(90),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// Runs `test` on a fresh SQLite database, then on a fresh PostgreSQL database.
pub async fn each_engine<F, Fut>(test: F)
where
    F: Fn(DatabaseConnection) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let sqlite = TestDb::sqlite().await;
    test(sqlite.db.clone()).await;
    sqlite.drop_db().await;
    let pg = TestDb::postgres().await;
    test(pg.db.clone()).await;
    pg.drop_db().await;
}

/// Adds a user with `role` in `tenant_id` and returns a bearer token for them.
pub async fn token_for_role(
    app: &Router,
    db: &DatabaseConnection,
    tenant_id: i64,
    role: &str,
) -> String {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    use server::storage::entities::{memberships, users};
    let email = format!("{role}-{}@roccavina.test", uuid::Uuid::new_v4().simple());
    let user = users::ActiveModel {
        email: Set(email.clone()),
        display_name: Set(role.into()),
        password_hash: Set(users::PasswordHash(
            server::auth::password::hash(DEMO_PASSWORD).unwrap(),
        )),
        disabled: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    memberships::ActiveModel {
        user_id: Set(user.id),
        tenant_id: Set(tenant_id),
        role: Set(role.into()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    let reply = send(
        app,
        post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"email": email, "password": DEMO_PASSWORD}),
        ),
    )
    .await;
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

/// Stores an open leak incident affecting `node` (external id) from `started`, as the detector
/// stores one, and returns its id.
pub async fn insert_leak(
    db: &DatabaseConnection,
    tenant_id: i64,
    node: &str,
    started: chrono::DateTime<Utc>,
    now: chrono::DateTime<Utc>,
) -> i64 {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let affected = serde_json::json!([{
        "node": node, "metric": "pressure", "score": -4.0,
        "expected": 3.1, "actual": 2.4, "since": started.timestamp(),
    }]);
    server::storage::entities::incidents::ActiveModel {
        tenant_id: Set(tenant_id),
        uid: Set(format!("leak:{node}@1")),
        dedupe_key: Set(format!("leak:{node}")),
        kind: Set("leak".into()),
        severity: Set("warning".into()),
        status: Set("open".into()),
        district: Set(None),
        started_at: Set(started),
        detected_at: Set(started + chrono::Duration::minutes(30)),
        last_seen_at: Set(now),
        ended_at: Set(None),
        score: Set(-4.0),
        affected: Set(affected.to_string()),
        explanation: Set(format!("pressure at {node} dropped")),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// The first column of every row `sql` returns on PostgreSQL, as text.
pub async fn pg_strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Postgres,
        sql,
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).unwrap())
    .collect()
}

//! The Redis cache against the real server on this machine.

use crate::support::*;
use server::cache::{Cache, RedisCache};
use std::time::Duration;

#[tokio::test]
async fn redis_stores_expires_and_deletes() {
    let cache = RedisCache::connect(&redis_url())
        .await
        .expect("Redis is required for this test");
    cache.ping().await.unwrap();
    assert_eq!(cache.kind(), "redis");
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let (a, b) = (format!("{prefix}a"), format!("{prefix}b"));
    cache
        .set(&a, "{\"v\":1}", Duration::from_secs(30))
        .await
        .unwrap();
    cache
        .set(&b, "short", Duration::from_millis(150))
        .await
        .unwrap();
    assert_eq!(cache.get(&a).await.unwrap().as_deref(), Some("{\"v\":1}"));
    assert_eq!(cache.get(&b).await.unwrap().as_deref(), Some("short"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(cache.get(&b).await.unwrap(), None, "TTL not applied");
    cache.delete(&a).await.unwrap();
    assert_eq!(cache.get(&a).await.unwrap(), None);
}

#[tokio::test]
async fn readiness_reports_redis_when_configured() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let mut state = state;
    state.cache = std::sync::Arc::new(RedisCache::connect(&redis_url()).await.unwrap());
    let app = server::web::app(state);
    let reply = send(&app, get("/readyz", None)).await;
    assert_eq!(reply.status, axum::http::StatusCode::OK);
    assert_eq!(reply.json()["cache"]["kind"], "redis");
}

#[tokio::test]
async fn redis_counters_keep_their_first_expiry() {
    let cache = RedisCache::connect(&redis_url()).await.unwrap();
    let key = format!("test:{}:n", uuid::Uuid::new_v4().simple());
    let ttl = Duration::from_millis(300);
    assert_eq!(cache.incr(&key, ttl).await.unwrap(), 1);
    assert_eq!(cache.incr(&key, ttl).await.unwrap(), 2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(cache.incr(&key, ttl).await.unwrap(), 3);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        cache.incr(&key, ttl).await.unwrap(),
        1,
        "expiry was extended"
    );
}

//! Redis cache through a multiplexed connection that is dropped when Redis goes away and
//! opened again (at most once a second) when it is needed: while Redis is down every call
//! fails fast, so callers answer from the database without waiting; when it is back the
//! cache is used again, with no restart.

use super::{Cache, CacheError};
use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// Shortest pause between two reconnection attempts.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// Redis-backed cache.
pub struct RedisCache {
    client: redis::Client,
    conn: RwLock<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
}

fn config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Duration::from_millis(1_000))
        .set_response_timeout(Duration::from_millis(1_000))
        .set_number_of_retries(1)
}

impl RedisCache {
    /// Connects to `url`; fails fast when Redis is unreachable at start.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new_with_config(client.clone(), config()).await?;
        Ok(Self {
            client,
            conn: RwLock::new(Some(conn)),
            last_attempt: Mutex::new(None),
        })
    }

    /// The open connection, or a new one if the last attempt is long enough ago.
    async fn conn(&self) -> Result<ConnectionManager, CacheError> {
        if let Some(conn) = self.conn.read().await.clone() {
            return Ok(conn);
        }
        {
            let mut last = self.last_attempt.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < RECONNECT_EVERY) {
                return Err(CacheError("Redis unavailable (reconnecting)".into()));
            }
            *last = Some(Instant::now());
        }
        let conn = ConnectionManager::new_with_config(self.client.clone(), config())
            .await
            .map_err(|e| CacheError(format!("Redis unavailable: {e}")))?;
        tracing::info!("Redis connection restored");
        *self.conn.write().await = Some(conn.clone());
        Ok(conn)
    }

    /// Turns a Redis error into a cache error, dropping the connection when Redis is gone.
    async fn fail(&self, e: redis::RedisError) -> CacheError {
        if e.is_io_error()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_timeout()
        {
            *self.conn.write().await = None;
        }
        CacheError(e.to_string())
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self.conn().await?.get(key).await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.fail(e).await),
        }
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        match self.conn().await?.pset_ex(key, value, ms).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e).await),
        }
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        // INCR, and set the expiry only when the key is new (NX), in one round trip.
        let result: Result<(i64, i64), _> = redis::pipe()
            .atomic()
            .incr(key, 1)
            .cmd("PEXPIRE")
            .arg(key)
            .arg(ms)
            .arg("NX")
            .query_async(&mut self.conn().await?)
            .await;
        match result {
            Ok((n, _)) => Ok(n),
            Err(e) => Err(self.fail(e).await),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        match self.conn().await?.del::<_, ()>(key).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e).await),
        }
    }

    async fn ping(&self) -> Result<(), CacheError> {
        match redis::cmd("PING")
            .query_async::<String>(&mut self.conn().await?)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(self.fail(e).await),
        }
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

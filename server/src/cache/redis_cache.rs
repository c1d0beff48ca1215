//! Redis cache through a multiplexed, self-reconnecting connection manager.

use super::{Cache, CacheError};
use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;
use std::time::Duration;

/// Redis-backed cache; cloning shares the connection.
#[derive(Clone)]
pub struct RedisCache {
    conn: ConnectionManager,
}

impl RedisCache {
    /// Connects to `url`; fails fast when Redis is unreachable at start.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self { conn })
    }
}

fn err(e: redis::RedisError) -> CacheError {
    CacheError(e.to_string())
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.conn.clone().get(key).await.map_err(err)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.conn.clone().pset_ex(key, value, ms).await.map_err(err)
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        // INCR, and set the expiry only when the key is new (NX), in one round trip.
        let (n, _): (i64, i64) = redis::pipe()
            .atomic()
            .incr(key, 1)
            .cmd("PEXPIRE")
            .arg(key)
            .arg(ms)
            .arg("NX")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(err)?;
        Ok(n)
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.conn.clone().del::<_, ()>(key).await.map_err(err)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.conn.clone())
            .await
            .map(|_| ())
            .map_err(err)
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

//! The cache: Redis when configured, an in-process cache on the embedded default, both
//! behind one trait so nothing else knows which.

pub mod json;
pub mod keys;
mod memory;
mod redis_cache;

pub use json::JsonCache;
pub use memory::MemoryCache;
pub use redis_cache::RedisCache;

use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// A cache operation failed (Redis unreachable, timed out, refused).
#[derive(Debug, thiserror::Error)]
#[error("cache error: {0}")]
pub struct CacheError(pub String);

/// String values under string keys, with a time to live.
#[async_trait]
pub trait Cache: Send + Sync {
    /// The value under `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    /// Stores `value` under `key` for `ttl`.
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError>;
    /// Adds one to the counter under `key` (created at 1 with `ttl` if absent; the expiry is
    /// not extended by later increments) and returns the new count.
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError>;
    /// Removes `key` (no error if absent).
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    /// Checks that the cache answers.
    async fn ping(&self) -> Result<(), CacheError>;
    /// `redis` or `memory`, for diagnostics.
    fn kind(&self) -> &'static str;
}

/// Opens Redis when a URL is given, otherwise the in-process cache.
pub async fn open(redis_url: Option<&str>) -> anyhow::Result<Arc<dyn Cache>> {
    Ok(match redis_url {
        Some(url) => Arc::new(RedisCache::connect(url).await?),
        None => Arc::new(MemoryCache::new(100_000)),
    })
}

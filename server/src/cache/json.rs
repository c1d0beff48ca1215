//! Typed values in the cache, as JSON, with a database fallback: a value is read from the
//! cache when it is there, else loaded and stored; when the cache fails (Redis down) the
//! loader answers and a warning is logged, so the app keeps working without its cache and
//! uses it again as soon as it is back. Hits, misses and errors are counted.

use super::Cache;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Cache outcomes since start.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Values served from the cache.
    pub hits: AtomicU64,
    /// Values loaded because they were absent.
    pub misses: AtomicU64,
    /// Cache operations that failed (the loader answered instead).
    pub errors: AtomicU64,
}

impl CacheStats {
    /// (hits, misses, errors).
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }
}

/// The cache with JSON values.
#[derive(Clone)]
pub struct JsonCache {
    inner: Arc<dyn Cache>,
    stats: Arc<CacheStats>,
}

impl JsonCache {
    /// Wraps a cache.
    pub fn new(inner: Arc<dyn Cache>) -> Self {
        Self {
            inner,
            stats: Arc::new(CacheStats::default()),
        }
    }

    /// The counters.
    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }

    /// The value under `key`, else `load()`'s (stored for `ttl`).
    pub async fn get_or_load<T, E, F, Fut>(&self, key: &str, ttl: Duration, load: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let cache_ok = match self.inner.get(key).await {
            Ok(Some(json)) => match serde_json::from_str(&json) {
                Ok(value) => {
                    self.stats.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(value);
                }
                Err(e) => {
                    tracing::warn!(key, error = %e, "unreadable cached value replaced");
                    true
                }
            },
            Ok(None) => true,
            Err(e) => {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(key, error = %e, "cache unavailable: answering from the database");
                false
            }
        };
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let value = load().await?;
        if cache_ok {
            match serde_json::to_string(&value) {
                Ok(json) => {
                    if let Err(e) = self.inner.set(key, &json, ttl).await {
                        self.stats.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(key, error = %e, "could not cache a value");
                    }
                }
                Err(e) => tracing::warn!(key, error = %e, "value not cacheable"),
            }
        }
        Ok(value)
    }

    /// Stores `value` under `key` (cache failures are logged, not returned).
    pub async fn put<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) {
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        if let Err(e) = self.inner.set(key, &json, ttl).await {
            self.stats.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(key, error = %e, "could not cache a value");
        }
    }

    /// Drops `keys` (cache failures are logged: the values then expire by their TTL).
    pub async fn invalidate(&self, keys: &[String]) {
        for key in keys {
            if let Err(e) = self.inner.delete(key).await {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(key, error = %e, "could not invalidate a cached value");
                return;
            }
        }
    }
}

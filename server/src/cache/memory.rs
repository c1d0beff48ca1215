//! In-process cache for the single-machine default (moka, per-entry expiry).

use super::{Cache, CacheError};
use async_trait::async_trait;
use moka::future::Cache as Moka;
use moka::Expiry;
use std::time::{Duration, Instant};

#[derive(Clone)]
struct Entry {
    value: String,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, value: &Entry, _now: Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Entry,
        _now: Instant,
        current: Option<Duration>,
    ) -> Option<Duration> {
        // A counter keeps its first expiry; a replaced value gets its own.
        if value.value.parse::<i64>().is_ok() {
            current.or(Some(value.ttl))
        } else {
            Some(value.ttl)
        }
    }
}

/// A bounded in-memory cache.
pub struct MemoryCache {
    inner: Moka<String, Entry>,
}

impl MemoryCache {
    /// A cache holding at most `capacity` entries.
    pub fn new(capacity: u64) -> Self {
        Self {
            inner: Moka::builder()
                .max_capacity(capacity)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self.inner.get(key).await.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let entry = Entry {
            value: value.to_owned(),
            ttl,
        };
        self.inner.insert(key.to_owned(), entry).await;
        Ok(())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError> {
        let entry = self
            .inner
            .entry(key.to_owned())
            .and_upsert_with(|current| async move {
                match current {
                    Some(e) => {
                        let e = e.into_value();
                        let n = e.value.parse::<i64>().unwrap_or(0) + 1;
                        Entry {
                            value: n.to_string(),
                            ttl: e.ttl,
                        }
                    }
                    None => Entry {
                        value: "1".into(),
                        ttl,
                    },
                }
            })
            .await;
        Ok(entry.into_value().value.parse().unwrap_or(1))
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.inner.invalidate(key).await;
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_expires_and_deletes() {
        let cache = MemoryCache::new(10);
        cache.set("a", "1", Duration::from_secs(60)).await.unwrap();
        cache
            .set("b", "2", Duration::from_millis(50))
            .await
            .unwrap();
        assert_eq!(cache.get("a").await.unwrap().as_deref(), Some("1"));
        assert_eq!(cache.get("b").await.unwrap().as_deref(), Some("2"));
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(
            cache.get("b").await.unwrap(),
            None,
            "expired entry still served"
        );
        cache.delete("a").await.unwrap();
        assert_eq!(cache.get("a").await.unwrap(), None);
    }

    #[tokio::test]
    async fn counters_count_and_expire_from_their_first_increment() {
        let cache = MemoryCache::new(10);
        let ttl = Duration::from_millis(150);
        assert_eq!(cache.incr("n", ttl).await.unwrap(), 1);
        assert_eq!(cache.incr("n", ttl).await.unwrap(), 2);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(cache.incr("n", ttl).await.unwrap(), 3);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            cache.incr("n", ttl).await.unwrap(),
            1,
            "expiry was extended"
        );
    }
}

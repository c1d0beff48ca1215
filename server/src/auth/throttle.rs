//! Login throttling per account and per client address: after a number of free failures,
//! each further failure doubles the wait before the next attempt is even checked. Counters
//! live in the cache (Redis across replicas), keyed by a hash of the email so the cache holds
//! no addresses in clear. A cache outage fails open, with a warning: the password hash's own
//! cost still bounds guessing, and an outage must not lock everyone out.

use crate::cache::Cache;
use sha2::{Digest, Sha256};
use shared::AppError;
use std::sync::Arc;
use std::time::Duration;

/// How throttling behaves.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures allowed per account before delays start (per address: four times this).
    pub free_attempts: i64,
    /// Wait after the first failure beyond the free ones; doubles with each further failure.
    pub base_delay: Duration,
    /// How long failures are remembered (also the longest wait).
    pub window: Duration,
}

/// The throttle, shared by every login path.
#[derive(Clone)]
pub struct Throttle {
    cache: Arc<dyn Cache>,
    policy: ThrottlePolicy,
}

fn account_key(email: &str) -> String {
    let digest = hex::encode(Sha256::digest(email.as_bytes()));
    format!("throttle:login:acct:{}", &digest[..32])
}

fn address_key(ip: &str) -> String {
    format!("throttle:login:ip:{ip}")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Throttle {
    /// A throttle keeping its counters in `cache`.
    pub fn new(cache: Arc<dyn Cache>, policy: ThrottlePolicy) -> Self {
        Self { cache, policy }
    }

    /// The wait imposed after `failures` failures when `free` are allowed.
    pub fn delay_after(&self, failures: i64, free: i64) -> Duration {
        if failures < free {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(failures - free).unwrap_or(u32::MAX).min(20);
        self.policy
            .base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.policy.window)
    }

    async fn wait_for(&self, key: &str, free: i64) -> Result<Duration, crate::cache::CacheError> {
        let failures = self
            .cache
            .get(key)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        let delay = self.delay_after(failures, free);
        if delay.is_zero() {
            return Ok(Duration::ZERO);
        }
        let last = self
            .cache
            .get(&format!("{key}:last"))
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        let elapsed = Duration::from_millis(u64::try_from(now_ms() - last).unwrap_or(0));
        Ok(delay.saturating_sub(elapsed))
    }

    /// Refuses with 429 while the account or the address must wait.
    pub async fn check(&self, email: &str, ip: Option<&str>) -> Result<(), AppError> {
        let mut wait = Duration::ZERO;
        let mut keys = vec![(account_key(email), self.policy.free_attempts)];
        if let Some(ip) = ip {
            keys.push((address_key(ip), self.policy.free_attempts * 4));
        }
        for (key, free) in keys {
            match self.wait_for(&key, free).await {
                Ok(w) => wait = wait.max(w),
                Err(e) => tracing::warn!(error = %e, "login throttle unavailable; allowing"),
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(AppError::TooManyRequests {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            })
        }
    }

    /// Counts a failed attempt against the account and the address.
    pub async fn failed(&self, email: &str, ip: Option<&str>) {
        let mut keys = vec![account_key(email)];
        keys.extend(ip.map(address_key));
        for key in keys {
            let counted = self.cache.incr(&key, self.policy.window).await;
            let stamped = self
                .cache
                .set(
                    &format!("{key}:last"),
                    &now_ms().to_string(),
                    self.policy.window,
                )
                .await;
            if let Err(e) = counted.and(stamped) {
                tracing::warn!(error = %e, "login throttle could not count a failure");
            }
        }
    }

    /// Clears the account's failures after a successful login.
    pub async fn succeeded(&self, email: &str) {
        let key = account_key(email);
        for k in [key.clone(), format!("{key}:last")] {
            if let Err(e) = self.cache.delete(&k).await {
                tracing::warn!(error = %e, "login throttle could not reset");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::MemoryCache;

    fn throttle() -> Throttle {
        Throttle::new(
            Arc::new(MemoryCache::new(100)),
            ThrottlePolicy {
                free_attempts: 5,
                base_delay: Duration::from_secs(1),
                window: Duration::from_secs(900),
            },
        )
    }

    #[test]
    fn delays_double_after_the_free_attempts_and_are_capped() {
        let t = throttle();
        assert_eq!(t.delay_after(4, 5), Duration::ZERO);
        assert_eq!(t.delay_after(5, 5), Duration::from_secs(1));
        assert_eq!(t.delay_after(7, 5), Duration::from_secs(4));
        assert_eq!(t.delay_after(60, 5), Duration::from_secs(900));
    }

    #[tokio::test]
    async fn the_fifth_failure_makes_the_account_wait() {
        let t = throttle();
        for _ in 0..4 {
            t.failed("a@b.org", None).await;
            assert!(t.check("a@b.org", None).await.is_ok());
        }
        t.failed("a@b.org", None).await;
        assert!(matches!(
            t.check("a@b.org", None).await,
            Err(AppError::TooManyRequests {
                retry_after_secs: 1
            })
        ));
        assert!(
            t.check("other@b.org", None).await.is_ok(),
            "other accounts unaffected"
        );
        t.succeeded("a@b.org").await;
        assert!(t.check("a@b.org", None).await.is_ok());
    }
}

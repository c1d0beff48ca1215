//! The cache's key patterns, always prefixed by the tenant (`t:{tenant}:…`), and how long
//! each kind of value lives.

use std::time::Duration;

/// Ranges the dashboard summarises.
pub const SUMMARY_RANGES: &[&str] = &["24h", "7d", "30d", "1y"];

/// Time to live of the network summary: short, and dropped as soon as new data arrives.
pub const SYSTEM_METRICS_TTL: Duration = Duration::from_secs(5 * 60);
/// Time to live of a node's latest values.
pub const NODE_LATEST_TTL: Duration = Duration::from_secs(15 * 60);
/// Time to live of a stored forecast (replaced when the model is retrained).
pub const FORECAST_TTL: Duration = Duration::from_secs(6 * 3_600);

/// Key builder for one tenant.
#[derive(Debug, Clone, Copy)]
pub struct CacheKeys {
    tenant_id: i64,
}

impl CacheKeys {
    /// Keys of `tenant_id`.
    pub fn new(tenant_id: i64) -> Self {
        Self { tenant_id }
    }

    /// `t:{tenant}:system:metrics:{range}` — the network summary over a range.
    pub fn system_metrics(&self, range: &str) -> String {
        format!("t:{}:system:metrics:{range}", self.tenant_id)
    }

    /// Every summary key of the tenant.
    pub fn system_metrics_all(&self) -> Vec<String> {
        SUMMARY_RANGES
            .iter()
            .map(|r| self.system_metrics(r))
            .collect()
    }

    /// `t:{tenant}:node:{node_id}:latest` — a node's newest values.
    pub fn node_latest(&self, node_id: i64) -> String {
        format!("t:{}:node:{node_id}:latest", self.tenant_id)
    }

    /// `t:{tenant}:cache:forecast:district:{district_id}` — a district's demand forecast.
    pub fn district_forecast(&self, district_id: i64) -> String {
        format!("t:{}:cache:forecast:district:{district_id}", self.tenant_id)
    }

    /// `t:{tenant}:cache:forecast:{node_id}:{metric}` — a node's forecast.
    pub fn forecast(&self, node_id: i64, metric: &str) -> String {
        format!("t:{}:cache:forecast:{node_id}:{metric}", self.tenant_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_carries_its_tenant() {
        let k = CacheKeys::new(7);
        assert_eq!(k.system_metrics("24h"), "t:7:system:metrics:24h");
        assert_eq!(k.node_latest(42), "t:7:node:42:latest");
        assert_eq!(
            k.forecast(42, "flow_rate"),
            "t:7:cache:forecast:42:flow_rate"
        );
        assert!(k
            .system_metrics_all()
            .iter()
            .all(|key| key.starts_with("t:7:")));
        assert_ne!(CacheKeys::new(8).node_latest(42), k.node_latest(42));
    }
}

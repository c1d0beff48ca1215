//! Where readings come from besides uploads: the utility's warehouse (BigQuery), the built-in
//! network simulator. Every source answers one question — the readings of a tenant with
//! timestamps in `(since, until]`, page by page — and `sync` stores them and moves the
//! source's watermark only once they are committed.

pub mod bigquery;
pub mod simulator;
pub mod sync;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub use crate::ingest::readings_csv::ParsedReading as SourceRow;

/// A page-by-page answer to a pull.
#[async_trait]
pub trait Pages: Send {
    /// The next page, or `None` after the last one.
    async fn next_page(&mut self) -> anyhow::Result<Option<Vec<SourceRow>>>;
}

/// A source of readings for one tenant.
#[async_trait]
pub trait ReadingSource: Send + Sync {
    /// Stable name, the key of its watermark (`simulator`, `bigquery`).
    fn name(&self) -> &str;
    /// The tenant whose readings it provides.
    fn tenant_id(&self) -> i64;
    /// Starts a pull of the readings with `since < ts <= until`, oldest first.
    async fn pull(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> anyhow::Result<Box<dyn Pages>>;

    /// Forecasts of `metric` for every node the source knows, `horizon` hours from `now`, made
    /// by the warehouse itself (BigQuery ML); `None` when the source has no forecasting.
    async fn forecasts(
        &self,
        _metric: shared::Metric,
        _now: DateTime<Utc>,
        _horizon: u32,
    ) -> anyhow::Result<Option<Vec<SourceForecast>>> {
        Ok(None)
    }
}

/// One node's forecast as a source made it, before the node is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceForecast {
    /// The node's external id.
    pub node: String,
    /// How it was made (`bigquery_arima_plus`).
    pub method: String,
    /// Interval level of `lower` / `upper`.
    pub level: f64,
    /// Hours of history the model was trained on.
    pub history_hours: u32,
    /// Hourly points, oldest first.
    pub points: Vec<shared::forecast::ForecastPoint>,
}

/// Every configured source.
#[derive(Clone, Default)]
pub struct Sources(pub Vec<Arc<dyn ReadingSource>>);

impl Sources {
    /// The sources feeding `tenant_id`.
    pub fn for_tenant(&self, tenant_id: i64) -> impl Iterator<Item = &Arc<dyn ReadingSource>> {
        self.0.iter().filter(move |s| s.tenant_id() == tenant_id)
    }
}

/// Pages already in memory (sources that compute their rows).
pub struct VecPages(pub std::vec::IntoIter<Vec<SourceRow>>);

#[async_trait]
impl Pages for VecPages {
    async fn next_page(&mut self) -> anyhow::Result<Option<Vec<SourceRow>>> {
        Ok(self.0.next())
    }
}

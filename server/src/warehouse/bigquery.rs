//! The utility's warehouse: readings pulled from a BigQuery table with `gcp-bigquery-client`.
//!
//! One parameterised standard-SQL query per pull (`ts > @since AND ts <= @until`, oldest
//! first), then `jobs.getQueryResults` page by page. Column names are configurable (the
//! utility's table: `timestamp, node_id, flow_rate, pressure, temperature, total_flow`) and
//! checked to be plain identifiers. Calls are retried with exponential backoff on 429, 5xx,
//! timeouts and connection failures; refused credentials fail at once with a clear message.
//!
//! Forecasts (BigQuery ML): `CREATE OR REPLACE MODEL … OPTIONS(model_type = 'ARIMA_PLUS', …)`
//! over the table's hourly means per node, then `ML.FORECAST`; see
//! [`ReadingSource::forecasts`] below.

use super::{Pages, ReadingSource, SourceForecast, SourceRow};

mod ml;
use async_trait::async_trait;
use chrono::{DateTime, DurationRound, Utc};
use gcp_bigquery_client::error::BQError;
use gcp_bigquery_client::model::get_query_results_parameters::GetQueryResultsParameters;
use gcp_bigquery_client::model::query_parameter::QueryParameter;
use gcp_bigquery_client::model::query_parameter_type::QueryParameterType;
use gcp_bigquery_client::model::query_parameter_value::QueryParameterValue;
use gcp_bigquery_client::model::query_request::QueryRequest;
use gcp_bigquery_client::model::table_row::TableRow;
use gcp_bigquery_client::Client;
use ml::forecast_rows;
pub use ml::{MODEL_HISTORY_DAYS, MODEL_LEVEL, MODEL_RETRAIN_HOURS};
use shared::Metric;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The timestamp column, the node column and each value column with its metric.
pub type ColumnMap = (String, String, Vec<(String, Metric)>);

/// Where the table is and how its columns are named.
#[derive(Debug, Clone, PartialEq)]
pub struct BigQuerySettings {
    /// GCP project that runs the query (and holds the table).
    pub project: String,
    /// Dataset of the table.
    pub dataset: String,
    /// Table name.
    pub table: String,
    /// Timestamp column.
    pub ts_column: String,
    /// Node id column (the node's external id).
    pub node_column: String,
    /// Value columns and the metric each holds.
    pub metric_columns: Vec<(String, Metric)>,
    /// Rows per page.
    pub page_size: i32,
    /// Retry policy for 429 / 5xx / timeouts.
    pub retry: Retry,
}

/// How often and how patiently a failed call is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
    /// Wait before the second attempt; doubles each time.
    pub base_delay: Duration,
}

impl BigQuerySettings {
    /// Parses `ts=timestamp,node=node_id,flow_rate=flow_rate,…`: `ts` and `node` name the
    /// timestamp and node columns, every other key is a metric and its value the column.
    pub fn parse_columns(spec: &str) -> Result<ColumnMap, String> {
        let (mut ts, mut node, mut metrics) = (None, None, Vec::new());
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, column) = part
                .split_once('=')
                .ok_or_else(|| format!("BIGQUERY_COLUMNS: `{part}` is not key=column"))?;
            let column = identifier(column.trim())?;
            match key.trim() {
                "ts" => ts = Some(column),
                "node" => node = Some(column),
                metric => metrics.push((
                    column,
                    metric
                        .parse::<Metric>()
                        .map_err(|_| format!("BIGQUERY_COLUMNS: unknown metric `{metric}`"))?,
                )),
            }
        }
        match (ts, node, metrics.is_empty()) {
            (Some(ts), Some(node), false) => Ok((ts, node, metrics)),
            _ => Err("BIGQUERY_COLUMNS needs ts=…, node=… and at least one metric".into()),
        }
    }

    fn sql(&self) -> String {
        let values: Vec<&str> = self
            .metric_columns
            .iter()
            .map(|(c, _)| c.as_str())
            .collect();
        format!(
            "SELECT {ts}, {node}, {values} FROM `{project}.{dataset}.{table}` \
             WHERE {ts} > @since AND {ts} <= @until ORDER BY {ts}, {node}",
            ts = self.ts_column,
            node = self.node_column,
            values = values.join(", "),
            project = self.project,
            dataset = self.dataset,
            table = self.table,
        )
    }
}

/// Accepts plain identifiers only (letters, digits, `_`, `-` for project ids), so
/// configured names can never change the query.
pub fn identifier(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!("`{name}` is not a plain BigQuery identifier"))
    }
}

/// A BigQuery table feeding one tenant.
pub struct BigQuerySource {
    client: Arc<Client>,
    settings: Arc<BigQuerySettings>,
    tenant_id: i64,
    /// When this process last trained each metric's forecasting model.
    trained: Arc<std::sync::Mutex<std::collections::HashMap<Metric, DateTime<Utc>>>>,
}

impl BigQuerySource {
    /// A source over an already-built client (service-account key, workload identity, …).
    pub fn new(client: Client, settings: BigQuerySettings, tenant_id: i64) -> Self {
        Self {
            client: Arc::new(client),
            settings: Arc::new(settings),
            tenant_id,
            trained: Arc::default(),
        }
    }

    /// Starts `request` and waits until it has finished (long-polling 30 s a call, for at
    /// most an hour: model training takes minutes): the pager, the first page's rows and the
    /// token of the next page.
    async fn run(
        &self,
        request: impl Fn() -> QueryRequest,
        what: &str,
    ) -> anyhow::Result<(BigQueryPages, Vec<TableRow>, Option<String>)> {
        let response = with_retry(self.settings.retry, what, || {
            self.client.job().query(&self.settings.project, request())
        })
        .await?;
        let reference = response
            .job_reference
            .clone()
            .ok_or_else(|| anyhow::anyhow!("BigQuery answered the {what} without a job id"))?;
        let pages = BigQueryPages {
            client: self.client.clone(),
            settings: self.settings.clone(),
            job_id: reference.job_id.unwrap_or_default(),
            location: reference.location,
            first: None,
            next_token: None,
            row: 0,
        };
        if response.job_complete == Some(true) {
            return Ok((
                pages,
                response.rows.unwrap_or_default(),
                response.page_token,
            ));
        }
        for _ in 0..120 {
            let page = pages.results(None).await?;
            if page.job_complete == Some(true) {
                return Ok((pages, page.rows.unwrap_or_default(), page.page_token));
            }
        }
        anyhow::bail!("BigQuery {what} did not finish within an hour")
    }

    /// Runs `sql` to completion and returns every row of its answer (all pages).
    async fn query_all(&self, sql: String, what: &str) -> anyhow::Result<Vec<TableRow>> {
        let request = || QueryRequest {
            max_results: Some(self.settings.page_size),
            timeout_ms: Some(30_000),
            use_legacy_sql: false,
            ..QueryRequest::new(sql.clone())
        };
        let (pages, mut rows, mut token) = self.run(request, what).await?;
        while let Some(t) = token.take() {
            let page = pages.results(Some(t)).await?;
            rows.extend(page.rows.unwrap_or_default());
            token = page.page_token;
        }
        Ok(rows)
    }

    /// A client authenticated with a service-account key file, talking to `base_url` when
    /// given (a regional endpoint or a proxy) instead of Google's default.
    pub async fn client_from_key_file(
        key_file: &str,
        base_url: Option<&str>,
    ) -> anyhow::Result<Client> {
        let mut builder = gcp_bigquery_client::client_builder::ClientBuilder::new();
        if let Some(url) = base_url {
            builder.with_v2_base_url(url.trim_end_matches('/').to_owned());
        }
        builder
            .build_from_service_account_key_file(key_file)
            .await
            .map_err(|e| {
                anyhow::anyhow!("BigQuery service-account key `{key_file}` is not usable: {e}")
            })
    }
}

fn param(name: &str, ts: DateTime<Utc>) -> QueryParameter {
    QueryParameter {
        name: Some(name.into()),
        parameter_type: Some(QueryParameterType {
            array_type: None,
            struct_types: None,
            r#type: "TIMESTAMP".into(),
        }),
        parameter_value: Some(QueryParameterValue {
            array_values: None,
            struct_values: None,
            value: Some(ts.format("%Y-%m-%d %H:%M:%S%.6f UTC").to_string()),
        }),
    }
}

/// Whether a failed call is worth repeating.
fn transient(e: &BQError) -> bool {
    match e {
        BQError::ResponseError { error } => error.error.code == 429 || error.error.code >= 500,
        BQError::RequestError(r) => {
            r.is_timeout()
                || r.is_connect()
                || r.is_decode()
                || r.status()
                    .is_some_and(|s| s.as_u16() == 429 || s.is_server_error())
        }
        _ => false,
    }
}

/// A failed call in words an administrator can act on.
fn explain(e: BQError, what: &str) -> anyhow::Error {
    match e {
        BQError::ResponseError { error } if matches!(error.error.code, 401 | 403) => {
            anyhow::anyhow!(
                "BigQuery refused the credentials for {what} (HTTP {}): {}. Check the \
                 service-account key and its BigQuery Data Viewer / Job User roles",
                error.error.code,
                error.error.message
            )
        }
        BQError::ResponseError { error } => anyhow::anyhow!(
            "BigQuery {what} failed (HTTP {}): {}",
            error.error.code,
            error.error.message
        ),
        BQError::AuthError(_) | BQError::YupAuthError(_) | BQError::NoToken => {
            anyhow::anyhow!("BigQuery authentication failed for {what}: {e}")
        }
        other => anyhow::anyhow!("BigQuery {what} failed: {other}"),
    }
}

async fn with_retry<T, F, Fut>(retry: Retry, what: &str, mut call: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BQError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < retry.attempts && transient(&e) => {
                let wait = retry.base_delay * 2u32.pow(attempt - 1);
                tracing::warn!(error = %e, attempt, ?wait, "BigQuery {what}: retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(explain(e, what)),
        }
    }
}

/// Parses a TIMESTAMP cell: float seconds (`1.7723457E9`, the API's JSON form), int64
/// microseconds (the `useInt64Timestamp` form) or RFC 3339 (a STRING column).
fn timestamp(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(n) = value.parse::<i64>() {
        // Whole seconds until the year 5138; microseconds above.
        return if n.abs() < 100_000_000_000 {
            DateTime::from_timestamp(n, 0)
        } else {
            DateTime::from_timestamp_micros(n)
        };
    }
    if let Ok(secs) = value.parse::<f64>() {
        return DateTime::from_timestamp_micros((secs * 1e6).round() as i64);
    }
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn cell(row: &TableRow, i: usize) -> Option<String> {
    let value = row.columns.as_ref()?.get(i)?.value.as_ref()?;
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

struct BigQueryPages {
    client: Arc<Client>,
    settings: Arc<BigQuerySettings>,
    job_id: String,
    location: Option<String>,
    first: Option<Vec<TableRow>>,
    next_token: Option<String>,
    row: u64,
}

impl BigQueryPages {
    fn convert(&mut self, rows: Vec<TableRow>) -> Vec<SourceRow> {
        let mut out = Vec::with_capacity(rows.len() * self.settings.metric_columns.len());
        for row in rows {
            self.row += 1;
            let (Some(ts), Some(node)) =
                (cell(&row, 0).as_deref().and_then(timestamp), cell(&row, 1))
            else {
                tracing::warn!(
                    row = self.row,
                    "BigQuery row without timestamp or node skipped"
                );
                continue;
            };
            for (i, (_, metric)) in self.settings.metric_columns.iter().enumerate() {
                let Some(value) = cell(&row, i + 2) else {
                    continue; // NULL: not measured
                };
                out.push(SourceRow {
                    line: self.row,
                    node: node.clone(),
                    metric: *metric,
                    ts,
                    value: value.parse().unwrap_or(f64::NAN),
                    quality: 0,
                });
            }
        }
        out
    }

    async fn results(
        &self,
        page_token: Option<String>,
    ) -> anyhow::Result<
        gcp_bigquery_client::model::get_query_results_response::GetQueryResultsResponse,
    > {
        // (`formatOptions` cannot travel in this call's query string: timestamps come back as
        // float seconds, which `timestamp` reads.)
        let params = || GetQueryResultsParameters {
            format_options: None,
            location: self.location.clone(),
            max_results: Some(self.settings.page_size),
            page_token: page_token.clone(),
            start_index: None,
            timeout_ms: Some(30_000),
        };
        with_retry(self.settings.retry, "reading query results", || {
            self.client
                .job()
                .get_query_results(&self.settings.project, &self.job_id, params())
        })
        .await
    }
}

#[async_trait]
impl Pages for BigQueryPages {
    async fn next_page(&mut self) -> anyhow::Result<Option<Vec<SourceRow>>> {
        if let Some(rows) = self.first.take() {
            return Ok(Some(self.convert(rows)));
        }
        let Some(token) = self.next_token.take() else {
            return Ok(None);
        };
        let page = self.results(Some(token)).await?;
        self.next_token = page.page_token;
        Ok(Some(self.convert(page.rows.unwrap_or_default())))
    }
}

#[async_trait]
impl ReadingSource for BigQuerySource {
    fn name(&self) -> &str {
        "bigquery"
    }

    /// BigQuery ML: an `ARIMA_PLUS` model per metric over the last [`MODEL_HISTORY_DAYS`] of
    /// hourly means, one series per node, retrained when older than [`MODEL_RETRAIN_HOURS`]
    /// (by this process); `ML.FORECAST` every call.
    async fn forecasts(
        &self,
        metric: Metric,
        now: DateTime<Utc>,
        horizon: u32,
    ) -> anyhow::Result<Option<Vec<SourceForecast>>> {
        let Some((column, _)) = self
            .settings
            .metric_columns
            .iter()
            .find(|(_, m)| *m == metric)
        else {
            return Ok(None); // the table has no such column
        };
        let until = now
            .duration_trunc(chrono::Duration::hours(1))
            .unwrap_or(now);
        let stale = {
            let trained = self.trained.lock().unwrap_or_else(|e| e.into_inner());
            trained
                .get(&metric)
                .is_none_or(|at| now - *at >= chrono::Duration::hours(MODEL_RETRAIN_HOURS))
        };
        if stale {
            let since = until - chrono::Duration::days(MODEL_HISTORY_DAYS);
            let sql = self
                .settings
                .create_model_sql(metric, column, since, until, horizon);
            self.query_all(sql, "model training").await?;
            self.trained
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(metric, now);
        }
        let rows = self
            .query_all(self.settings.forecast_sql(metric, horizon), "forecast")
            .await?;
        Ok(Some(forecast_rows(&rows)))
    }

    fn tenant_id(&self) -> i64 {
        self.tenant_id
    }

    async fn pull(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> anyhow::Result<Box<dyn Pages>> {
        let request = || QueryRequest {
            max_results: Some(self.settings.page_size),
            parameter_mode: Some("NAMED".into()),
            query_parameters: Some(vec![param("since", since), param("until", until)]),
            timeout_ms: Some(30_000),
            use_legacy_sql: false,
            ..QueryRequest::new(self.settings.sql())
        };
        let (mut pages, rows, token) = self.run(request, "query").await?;
        pages.first = Some(rows);
        pages.next_token = token;
        Ok(Box::new(pages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_parse_and_identifiers_are_checked() {
        let (ts, node, metrics) = BigQuerySettings::parse_columns(
            "ts=timestamp,node=node_id,flow_rate=flow_rate,pressure=pressure,volume=total_flow",
        )
        .unwrap();
        assert_eq!((ts.as_str(), node.as_str()), ("timestamp", "node_id"));
        assert_eq!(
            metrics,
            vec![
                ("flow_rate".to_owned(), Metric::FlowRate),
                ("pressure".to_owned(), Metric::Pressure),
                ("total_flow".to_owned(), Metric::Volume)
            ]
        );
        assert!(
            BigQuerySettings::parse_columns("ts=t,node=n,pressure=p; DROP TABLE x")
                .unwrap_err()
                .contains("identifier")
        );
        assert!(BigQuerySettings::parse_columns("ts=t,node=n")
            .unwrap_err()
            .contains("at least one metric"));
        assert!(BigQuerySettings::parse_columns("ts=t,node=n,speed=s")
            .unwrap_err()
            .contains("unknown metric"));
    }

    #[test]
    fn timestamps_parse_in_every_form_the_api_uses() {
        let expected: DateTime<Utc> = "2026-03-01T06:15:00Z".parse().unwrap();
        assert_eq!(timestamp("1772345700000000"), Some(expected));
        assert_eq!(timestamp("1772345700"), Some(expected));
        assert_eq!(timestamp("1.7723457E9"), Some(expected));
        assert_eq!(timestamp("2026-03-01T06:15:00Z"), Some(expected));
        assert_eq!(timestamp("yesterday"), None);
    }
}

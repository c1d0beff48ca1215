//! BigQuery ML forecasts: the `ARIMA_PLUS` model's SQL and the parsing of `ML.FORECAST`
//! answers (the calls themselves go through the source's query runner).

use super::{cell, timestamp, BigQuerySettings};
use crate::warehouse::SourceForecast;
use chrono::{DateTime, Utc};
use gcp_bigquery_client::model::table_row::TableRow;
use shared::Metric;

/// Days of hourly history a BigQuery ML model is trained on.
pub const MODEL_HISTORY_DAYS: i64 = 56;
/// A model is retrained when older than this; forecasts are read from it every run.
pub const MODEL_RETRAIN_HOURS: i64 = 24;
/// Interval level asked of `ML.FORECAST`.
pub const MODEL_LEVEL: f64 = 0.95;

impl BigQuerySettings {
    /// The ARIMA_PLUS model of `metric`'s hourly means, one time series per node.
    pub fn model(&self, metric: Metric) -> String {
        format!(
            "`{}.{}.roccavina_{}_arima_plus`",
            self.project,
            self.dataset,
            metric.as_str()
        )
    }

    /// `CREATE OR REPLACE MODEL` over the hourly means of `column` in `[since, until)`.
    pub fn create_model_sql(
        &self,
        metric: Metric,
        column: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        horizon: u32,
    ) -> String {
        let literal =
            |t: DateTime<Utc>| format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S+00"));
        format!(
            "CREATE OR REPLACE MODEL {model}\n\
             OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'hour', \
             time_series_data_col = 'value', time_series_id_col = 'node', \
             data_frequency = 'HOURLY', horizon = {horizon}, auto_arima = TRUE) AS\n\
             SELECT TIMESTAMP_TRUNC(`{ts}`, HOUR) AS hour, CAST(`{node}` AS STRING) AS node, \
             AVG(`{column}`) AS value\n\
             FROM `{project}.{dataset}.{table}`\n\
             WHERE `{ts}` >= {since} AND `{ts}` < {until} AND `{column}` IS NOT NULL\n\
             GROUP BY hour, node",
            model = self.model(metric),
            ts = self.ts_column,
            node = self.node_column,
            project = self.project,
            dataset = self.dataset,
            table = self.table,
            since = literal(since),
            until = literal(until),
        )
    }

    /// `ML.FORECAST` of `metric`'s model, `horizon` hours at [`MODEL_LEVEL`].
    pub fn forecast_sql(&self, metric: Metric, horizon: u32) -> String {
        format!(
            "SELECT node, forecast_timestamp, forecast_value, prediction_interval_lower_bound, \
             prediction_interval_upper_bound\n\
             FROM ML.FORECAST(MODEL {}, STRUCT({horizon} AS horizon, {MODEL_LEVEL} AS confidence_level))\n\
             ORDER BY node, forecast_timestamp",
            self.model(metric)
        )
    }
}

/// `ML.FORECAST` rows (node, time, value, lower, upper) grouped per node; rows without a
/// node, time or value are skipped with a warning.
pub(super) fn forecast_rows(rows: &[TableRow]) -> Vec<SourceForecast> {
    let mut out: Vec<SourceForecast> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let number = |k: usize| cell(row, k).and_then(|v| v.parse::<f64>().ok());
        let (Some(node), Some(at), Some(value)) = (
            cell(row, 0),
            cell(row, 1).as_deref().and_then(timestamp),
            number(2),
        ) else {
            tracing::warn!(
                row = i + 1,
                "ML.FORECAST row without node, time or value skipped"
            );
            continue;
        };
        let point = shared::forecast::ForecastPoint {
            at,
            value,
            lower: number(3).unwrap_or(value),
            upper: number(4).unwrap_or(value),
        };
        match out.last_mut() {
            Some(f) if f.node == node => f.points.push(point),
            _ => out.push(SourceForecast {
                node,
                method: "bigquery_arima_plus".into(),
                level: MODEL_LEVEL,
                history_hours: (MODEL_HISTORY_DAYS * 24) as u32,
                points: vec![point],
            }),
        }
    }
    for f in &mut out {
        f.points.sort_by_key(|p| p.at);
    }
    out
}

//! Integration tests of the server: one test binary (links once), one module per area.

mod anomalies;
mod api_keys;
mod auth_throttle;
mod bigquery;
mod bulk_load;
mod dashboard_period;
mod data_quality;
mod efficiency;
mod fake_bigquery;
mod forecasts;
mod http_api;
mod ingest;
mod isolation;
mod jobs;
mod live;
mod members;
mod network_overview;
mod redis_cache;
mod register;
mod row_level_security;
mod series;
mod ssr;
mod storage;
mod support;
mod tokens;

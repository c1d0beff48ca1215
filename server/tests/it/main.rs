//! Integration tests of the server: one test binary (links once), one module per area.

mod api_keys;
mod auth_throttle;
mod http_api;
mod ingest;
mod isolation;
mod redis_cache;
mod register;
mod series;
mod ssr;
mod storage;
mod support;
mod tokens;

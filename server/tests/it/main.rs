//! Integration tests of the server: one test binary (links once), one module per area.

mod http_api;
mod redis_cache;
mod ssr;
mod storage;
mod support;

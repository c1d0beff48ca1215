//! Roccavina Water server: storage, cache, auth, REST, operations endpoints and the
//! implementations of the app's ports.

pub mod anomalies;
pub mod api;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod demo;
pub mod efficiency;
pub mod error;
pub mod forecast;
pub mod ingest;
pub mod jobs;
pub mod live;
pub mod ops;
pub mod series;
pub mod state;
pub mod storage;
pub mod warehouse;
pub mod web;

pub use config::Config;
pub use state::AppState;

//! Server functions, one per file, grouped by domain.

pub mod admin;
pub mod anomalies;
pub mod auth;
pub mod dashboard;
pub mod diagnostics;
pub mod monitoring;
pub mod network;
pub mod series;

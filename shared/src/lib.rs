//! The words both sides of Roccavina speak: wire types, ids, units, roles and errors.
//!
//! Builds for the host and for `wasm32-unknown-unknown`; no I/O, no features.

pub mod anomaly;
pub mod auth;
pub mod clock;
pub mod dashboard;
pub mod diagnostics;
pub mod efficiency;
pub mod error;
pub mod forecast;
pub mod ingest;
pub mod jobs;
pub mod live;
pub mod metric;
pub mod node;
pub mod overview;
pub mod password_policy;
pub mod period;
pub mod quality;
pub mod role;
pub mod series;
pub mod validate;

pub use error::AppError;
pub use metric::Metric;
pub use node::NodeKind;
pub use role::Role;

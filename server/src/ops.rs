//! Operations endpoints: liveness, readiness and Prometheus metrics.

pub mod client_addr;
pub mod diagnostics;
pub mod health;
pub mod metrics;

use crate::state::AppState;
use axum::routing::get;
use axum::Router;

/// `/healthz`, `/readyz` and `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
}

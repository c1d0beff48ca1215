//! Liveness (the process answers) and readiness (its dependencies answer).

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use std::time::Duration;

/// `GET /healthz`: 200 while the process serves requests.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The state of one dependency.
#[derive(Debug, Serialize)]
pub struct Check {
    /// `ok` or `unreachable`.
    pub status: &'static str,
    /// Which implementation (`sqlite`, `postgres`, `redis`, `memory`).
    pub kind: &'static str,
}

/// The readiness report.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// `ready` when every dependency answers, else `unavailable`.
    pub status: &'static str,
    /// Database check.
    pub database: Check,
    /// Cache check.
    pub cache: Check,
    /// Where sessions live (`database` or `redis`), and whether that answers: with sessions in
    /// Redis, an unreachable Redis means nobody can be authenticated, so the server is not ready.
    pub sessions: Check,
}

/// `GET /readyz`: 200 when the database answers within two seconds (`degraded` when only the
/// cache does not), 503 when the database — or the Redis holding the sessions — does not.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let limit = Duration::from_secs(2);
    let db_ok = matches!(
        tokio::time::timeout(limit, state.db.ping()).await,
        Ok(Ok(()))
    );
    let cache_ok = matches!(
        tokio::time::timeout(limit, state.cache.ping()).await,
        Ok(Ok(()))
    );
    if !db_ok {
        tracing::warn!("readiness: database unreachable");
    }
    if !cache_ok {
        tracing::warn!("readiness: cache unreachable");
    }
    let db_kind = match state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "postgres",
        sea_orm::DbBackend::Sqlite => "sqlite",
        sea_orm::DbBackend::MySql => "mysql",
    };
    let sessions_in_redis = state.config.sessions_in_redis();
    let sessions_ok = if sessions_in_redis { cache_ok } else { db_ok };
    let report = Readiness {
        // Without its cache the app still answers (from the database), only slower.
        status: match (db_ok, cache_ok, sessions_ok) {
            (true, true, _) => "ready",
            (true, false, true) => "degraded",
            _ => "unavailable",
        },
        database: Check {
            status: if db_ok { "ok" } else { "unreachable" },
            kind: db_kind,
        },
        cache: Check {
            status: if cache_ok { "ok" } else { "unreachable" },
            kind: state.cache.kind(),
        },
        sessions: Check {
            status: if sessions_ok { "ok" } else { "unreachable" },
            kind: if sessions_in_redis {
                "redis"
            } else {
                "database"
            },
        },
    };
    let code = if db_ok && sessions_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(report))
}

//! `POST /api/v1/readings` and `POST /api/v1/nodes`: bulk ingestion for integrators.

use super::extract::{ApiBody, IngestCaller};
use crate::error::ApiError;
use crate::ingest;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header::CONTENT_TYPE, HeaderMap, StatusCode};
use axum::Json;
use shared::ingest::{ImportReport, ReadingInput};
use shared::AppError;

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

fn is_csv(ct: &str) -> bool {
    matches!(
        ct,
        "text/csv" | "application/csv" | "application/gzip" | "application/x-gzip"
    )
}

/// 200 when something was accepted (or the input was empty), 422 when every row was refused.
fn answer(report: ImportReport) -> (StatusCode, Json<ImportReport>) {
    let status = if report.accepted() == 0 && report.rejected > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, Json(report))
}

/// Stores readings for the caller's tenant: a JSON array, or a CSV file (long
/// `timestamp,node_id,metric,value[,quality]` or wide `timestamp,node_id,flow_rate,…`),
/// optionally gzip-compressed. Existing (node, metric, timestamp) values are replaced.
/// Rows with an unknown node or metric, an unreadable time or number, or a value outside the
/// metric's physical range are listed in `rejections` with their line; the others are kept.
#[utoipa::path(
    post,
    path = "/api/v1/readings",
    tag = "ingest",
    security(("bearer" = [])),
    request_body(content(
        (Vec<ReadingInput> = "application/json"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "Imported (see rejections for refused rows)", body = ImportReport),
        (status = 400, description = "Malformed JSON", body = AppError),
        (status = 401, description = "Missing or invalid token", body = AppError),
        (status = 403, description = "Below operator, or an API key without `ingest`", body = AppError),
        (status = 413, description = "Body over the size limit", body = AppError),
        (status = 415, description = "Neither JSON nor CSV", body = AppError),
        (status = 422, description = "Nothing importable; every row refused", body = ImportReport),
    )
)]
pub async fn post_readings(
    State(state): State<AppState>,
    IngestCaller(caller): IngestCaller,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let tenant = caller.tenant.id;
    let ct = content_type(&headers);
    let report = if ct == "application/json" {
        let items: Vec<serde_json::Value> =
            serde_json::from_slice(&body).map_err(|e| AppError::BadRequest {
                message: format!("expected a JSON array of readings: {e}"),
            })?;
        ingest::import::import_json(&state.db, Some(&state.live), tenant, &items)
            .await
            .map_err(|e| e.into_app_error())?
    } else if is_csv(&ct) {
        let input = std::io::Cursor::new(body);
        ingest::import::import_readings_live(
            &state.db,
            Some(state.live.clone()),
            tenant,
            input,
            ingest::import::DEFAULT_BATCH,
            |_| {},
        )
        .await
        .map_err(|e| e.into_app_error())?
    } else {
        return Err(AppError::UnsupportedMediaType {
            expected: "application/json or text/csv".into(),
        }
        .into());
    };
    tracing::info!(
        tenant = %caller.tenant.slug,
        inserted = report.inserted,
        updated = report.updated,
        rejected = report.rejected,
        "readings imported"
    );
    Ok(answer(report))
}

/// Creates or updates the caller's nodes (and their districts) from a nodes CSV:
/// `node_id,name,kind,lat,lon,district[,elevation]`.
#[utoipa::path(
    post,
    path = "/api/v1/nodes",
    tag = "ingest",
    security(("bearer" = [])),
    request_body(content((String = "text/csv"))),
    responses(
        (status = 200, description = "inserted = new nodes, updated = changed nodes", body = ImportReport),
        (status = 401, description = "Missing or invalid token", body = AppError),
        (status = 403, description = "Below operator, or an API key without `ingest`", body = AppError),
        (status = 415, description = "Not CSV", body = AppError),
        (status = 422, description = "Bad header, or every row refused", body = AppError),
    )
)]
pub async fn post_nodes(
    State(state): State<AppState>,
    IngestCaller(caller): IngestCaller,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    if !is_csv(&content_type(&headers)) {
        return Err(AppError::UnsupportedMediaType {
            expected: "text/csv".into(),
        }
        .into());
    }
    let input = ingest::input::maybe_gzip(std::io::Cursor::new(body)).map_err(|e| {
        AppError::BadRequest {
            message: format!("the body could not be read: {e}"),
        }
    })?;
    let report = ingest::import_nodes(&state.db, caller.tenant.id, input)
        .await
        .map_err(|e| e.into_app_error())?;
    Ok(answer(report))
}

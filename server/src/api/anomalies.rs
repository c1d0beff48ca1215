//! `/api/v1/anomalies`: the detector's incidents for the caller's tenant, and the operators'
//! acknowledge / resolve actions.

use super::extract::{ApiCaller, ApiPath, ApiQuery, ClientIp, StreamCaller};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use shared::anomaly::{
    AnomalyKind, Incident, IncidentAction, IncidentComment, IncidentFilter, IncidentStatus,
    Severity,
};
use shared::AppError;

/// Query of `GET /api/v1/anomalies`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct AnomalyQuery {
    /// Detected at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Detected before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// `open`, `acknowledged` or `resolved`.
    pub status: Option<String>,
    /// `leak`, `pressure_drop`, `pressure_rise`, `night_flow_rise`, `sensor_missing`,
    /// `sensor_stuck`, `sensor_spike` or `sensor_out_of_range`.
    pub kind: Option<String>,
    /// `info`, `warning` or `critical`.
    pub severity: Option<String>,
    /// District name, as the incidents give it.
    pub district: Option<String>,
    /// At most this many (default 200, at most 1000), newest first.
    pub limit: Option<u64>,
    /// `json` (default) or `csv` (a spreadsheet download, one row per incident).
    pub format: Option<String>,
}

impl AnomalyQuery {
    fn filter(self) -> Result<IncidentFilter, AppError> {
        let status = match self.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(IncidentStatus::parse(s).ok_or_else(|| {
                AppError::validation("status", "one of open, acknowledged, resolved")
            })?),
        };
        let kind = match self.kind.as_deref() {
            None | Some("") => None,
            Some(k) => Some(AnomalyKind::parse(k).ok_or_else(|| {
                let all: Vec<&str> = AnomalyKind::ALL.iter().map(|k| k.as_str()).collect();
                AppError::validation("kind", format!("one of {}", all.join(", ")))
            })?),
        };
        let severity = match self.severity.as_deref() {
            None | Some("") => None,
            Some(s) => Some(Severity::parse(s).ok_or_else(|| {
                AppError::validation("severity", "one of info, warning, critical")
            })?),
        };
        let district = self.district.filter(|d| !d.trim().is_empty());
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from >= to {
                return Err(AppError::validation("from", "must be before `to`"));
            }
        }
        Ok(IncidentFilter {
            from: self.from,
            to: self.to,
            status,
            kind,
            severity,
            district,
            limit: self.limit,
        })
    }
}

/// Incidents of the caller's tenant: leaks, pressure and night-flow anomalies and sensor faults,
/// each with its affected sensors ranked, expected and actual values and an explanation.
/// `format=csv` gives the same list as a CSV download (browsers may use their session cookie).
#[utoipa::path(
    get,
    path = "/api/v1/anomalies",
    tag = "anomalies",
    security(("bearer" = [])),
    params(AnomalyQuery),
    responses(
        (status = 200, description = "Incidents, newest first (JSON, or CSV with `format=csv`)", body = Vec<Incident>),
        (status = 422, description = "Unknown status, kind or format, or a malformed time", body = AppError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    StreamCaller(caller): StreamCaller,
    ApiQuery(query): ApiQuery<AnomalyQuery>,
) -> Result<Response, ApiError> {
    let csv = match query.format.as_deref() {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::validation("format", "json or csv").into()),
    };
    let filter = query.filter()?;
    let incidents = state.services.anomalies.list(&caller, filter).await?;
    if !csv {
        return Ok(Json(incidents).into_response());
    }
    let body = incidents_csv(&incidents).map_err(|e| crate::error::internal("incident csv", &e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"incidents.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// One row per incident; the affected sensors as `P07 pressure -5.2` separated by `; `.
fn incidents_csv(incidents: &[Incident]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "kind",
        "severity",
        "status",
        "district",
        "started_at",
        "detected_at",
        "last_seen_at",
        "ended_at",
        "score",
        "affected",
        "explanation",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
        "comment",
    ])?;
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for i in incidents {
        let affected: Vec<String> = i
            .affected
            .iter()
            .map(|a| format!("{} {} {:.1}", a.external_id, a.metric, a.score))
            .collect();
        w.write_record([
            i.id.to_string(),
            i.kind.as_str().into(),
            i.severity.as_str().into(),
            i.status.as_str().into(),
            i.district.clone().unwrap_or_default(),
            i.started_at.to_rfc3339(),
            i.detected_at.to_rfc3339(),
            i.last_seen_at.to_rfc3339(),
            time(i.ended_at),
            format!("{:.2}", i.score),
            affected.join("; "),
            i.explanation.clone(),
            i.acknowledged_by.clone().unwrap_or_default(),
            time(i.acknowledged_at),
            i.resolved_by.clone().unwrap_or_default(),
            time(i.resolved_at),
            i.comment.clone().unwrap_or_default(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One incident of the caller's tenant.
#[utoipa::path(
    get,
    path = "/api/v1/anomalies/{id}",
    tag = "anomalies",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Incident id")),
    responses(
        (status = 200, description = "The incident", body = Incident),
        (status = 404, description = "No such incident in this tenant", body = AppError),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(state.services.anomalies.get(&caller, id).await?))
}

/// The optional `{"comment": "..."}` body of an action (an empty body is no comment).
fn comment(body: &[u8]) -> Result<Option<String>, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<IncidentComment>(body)
        .map(|c| c.comment)
        .map_err(|e| AppError::validation("comment", e.to_string()))
}

async fn act(
    state: AppState,
    caller: app::ssr::Caller,
    id: i64,
    action: IncidentAction,
    body: axum::body::Bytes,
    ip: Option<String>,
) -> Result<Json<Incident>, ApiError> {
    let comment = comment(&body)?;
    Ok(Json(
        state
            .services
            .anomalies
            .act(&caller, id, action, comment, ip)
            .await?,
    ))
}

/// Acknowledges an incident (operator or admin), optionally with `{"comment": "..."}`.
#[utoipa::path(
    post,
    path = "/api/v1/anomalies/{id}/acknowledge",
    tag = "anomalies",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Incident id")),
    request_body(content = Option<IncidentComment>, description = "Optional comment"),
    responses(
        (status = 200, description = "Acknowledged", body = Incident),
        (status = 403, description = "Viewers and API keys may not act on incidents", body = AppError),
        (status = 404, description = "No such incident in this tenant", body = AppError),
        (status = 409, description = "Already acknowledged or resolved", body = AppError),
        (status = 422, description = "Malformed or too long comment", body = AppError),
    )
)]
pub async fn acknowledge(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<Json<Incident>, ApiError> {
    act(state, caller, id, IncidentAction::Acknowledge, body, ip).await
}

/// Resolves an incident (operator or admin), optionally with `{"comment": "..."}`.
#[utoipa::path(
    post,
    path = "/api/v1/anomalies/{id}/resolve",
    tag = "anomalies",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Incident id")),
    request_body(content = Option<IncidentComment>, description = "Optional comment"),
    responses(
        (status = 200, description = "Resolved", body = Incident),
        (status = 403, description = "Viewers and API keys may not act on incidents", body = AppError),
        (status = 404, description = "No such incident in this tenant", body = AppError),
        (status = 409, description = "Already resolved", body = AppError),
        (status = 422, description = "Malformed or too long comment", body = AppError),
    )
)]
pub async fn resolve(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<Json<Incident>, ApiError> {
    act(state, caller, id, IncidentAction::Resolve, body, ip).await
}

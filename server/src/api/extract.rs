//! Extractors for REST handlers: the Bearer-token caller and JSON bodies whose rejections
//! become clear `AppError`s (400, 413, 415) rather than plain-text axum errors.

use crate::error::ApiError;
use crate::state::AppState;
use app::ssr::Caller;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use shared::AppError;

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
}

/// The caller of a REST route, from `Authorization: Bearer <token>` (a session token or an
/// API key), acting in the tenant named by `X-Tenant-ID` (id or slug) or else in the
/// session's (or key's) tenant.
pub struct ApiCaller(pub Caller);

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, AppError> {
    let token = bearer(&parts.headers).ok_or(AppError::Unauthenticated)?;
    with_token(parts, state, token).await
}

async fn with_token(parts: &Parts, state: &AppState, token: &str) -> Result<Caller, AppError> {
    let tenant = parts
        .headers
        .get("x-tenant-id")
        .map(|v| {
            v.to_str()
                .map_err(|_| AppError::validation("X-Tenant-ID", "is not text"))
        })
        .transpose()?;
    state.services.auth.authenticate(token, tenant).await
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    /// People, and API keys with the `read` scope.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = authenticate(parts, state).await?;
        caller.require_read()?;
        Ok(Self(caller))
    }
}

/// A caller allowed to send data: an operator or admin, or an API key with the `ingest` scope.
/// A reader authenticated by a Bearer token or, for browsers (whose `EventSource` cannot
/// send headers), by the access cookie. Only for GET routes: a cookie alone never changes
/// state.
pub struct StreamCaller(pub Caller);

impl FromRequestParts<AppState> for StreamCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = match bearer(&parts.headers) {
            Some(token) => token.to_owned(),
            None => app::ssr::cookie(&parts.headers, app::ssr::ACCESS_COOKIE)
                .ok_or(AppError::Unauthenticated)?,
        };
        let caller = with_token(parts, state, &token).await?;
        caller.require_read()?;
        Ok(Self(caller))
    }
}

pub struct IngestCaller(pub Caller);

impl FromRequestParts<AppState> for IngestCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = authenticate(parts, state).await?;
        caller.require_ingest()?;
        Ok(Self(caller))
    }
}

/// A JSON body; malformed input answers 400, a missing JSON content type 415, too large 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError(rejection_to_error(
                &rejection,
                state.config.max_body_bytes,
            ))),
        }
    }
}

fn rejection_to_error(rejection: &JsonRejection, limit: usize) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType {
            expected: "application/json".into(),
        },
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge {
            limit_bytes: limit as u64,
        },
        JsonRejection::JsonDataError(e) => AppError::validation("body", e.body_text()),
        other => AppError::BadRequest {
            message: other.body_text(),
        },
    }
}

/// A raw request body within the import size limit (413 beyond it).
pub struct ApiBody(pub axum::body::Bytes);

impl FromRequest<AppState> for ApiBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::body::Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError(AppError::PayloadTooLarge {
                    limit_bytes: state.config.max_import_bytes as u64,
                }))
            }
            Err(rejection) => Err(ApiError(AppError::BadRequest {
                message: rejection.body_text(),
            })),
        }
    }
}

/// Query parameters; unreadable ones answer a JSON 422 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e| ApiError(AppError::validation("query", e.body_text())))
    }
}

/// Path parameters; unreadable ones (a non-numeric id) answer a JSON 404.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|_| ApiError(AppError::not_found("resource")))
    }
}

/// The client's address: the first `X-Forwarded-For` entry (set by the proxy in front), else
/// the socket peer.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<app::ssr::ClientAddr>()
                .and_then(|c| c.0.clone()),
        ))
    }
}

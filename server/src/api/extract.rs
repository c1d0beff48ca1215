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

/// The caller of a REST route, from `Authorization: Bearer <token>`.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(AppError::Unauthenticated)?;
        Ok(Self(state.services.auth.authenticate(token).await?))
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

//! How errors leave the server: `AppError` becomes a status code and a JSON body; anything
//! from infrastructure is logged in full and reaches the client only as a reference.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use shared::AppError;

/// `AppError` as an axum response (the newtype satisfies the orphan rule).
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(value: AppError) -> Self {
        Self(value)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = serde_json::to_value(&self.0).unwrap_or_default();
        if let Some(map) = body.as_object_mut() {
            map.insert("error".into(), self.0.to_string().into());
        }
        let mut response = (status, axum::Json(body)).into_response();
        match &self.0 {
            AppError::Unauthenticated | AppError::InvalidCredentials => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::TooManyRequests { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        response
    }
}

/// Logs an infrastructure failure with a fresh reference and returns the opaque error.
pub fn internal(context: &str, err: &dyn std::fmt::Display) -> AppError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    tracing::error!(%reference, context, error = %err, "internal error");
    AppError::Internal { reference }
}

/// `.or_internal("what was being done")` on any infrastructure result.
pub trait OrInternal<T> {
    /// Maps the error to an opaque `AppError::Internal`, logging the cause.
    fn or_internal(self, context: &str) -> Result<T, AppError>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self, context: &str) -> Result<T, AppError> {
        self.map_err(|e| internal(context, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn validation_errors_name_the_field() {
        let response = ApiError(AppError::validation("email", "is required")).into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], "validation");
        assert_eq!(json["field"], "email");
        assert_eq!(json["error"], "email: is required");
    }

    #[tokio::test]
    async fn internal_errors_hide_the_cause() {
        let err: Result<(), _> = Err("connection refused to 10.0.0.5:5432");
        let app_err = err.or_internal("loading nodes").unwrap_err();
        let response = ApiError(app_err).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("10.0.0.5"), "{text}");
        assert!(text.contains("reference"), "{text}");
    }

    #[test]
    fn unauthenticated_asks_for_a_bearer_token() {
        let response = ApiError(AppError::Unauthenticated).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}

//! The one error type that crosses every boundary: server functions, REST and the UI.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// Everything that can go wrong, as the caller may see it.
///
/// Infrastructure failures are deliberately opaque (`Internal`): the server logs the cause,
/// the client only learns that it was not its fault.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema,
)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// No valid session or token.
    #[error("authentication required")]
    Unauthenticated,
    /// Email or password wrong (never says which).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Authenticated, but the role or tenant does not allow this.
    #[error("not allowed")]
    Forbidden,
    /// The resource does not exist for this caller.
    #[error("{what} not found")]
    NotFound { what: String },
    /// Input failed validation; `field` names the offending input.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    /// The request body could not be read (malformed JSON, wrong type, too large).
    #[error("bad request: {message}")]
    BadRequest { message: String },
    /// The request conflicts with the current state (e.g. the job is already running).
    #[error("conflict: {message}")]
    Conflict { message: String },
    /// The request body is larger than the endpoint accepts.
    #[error("request body too large (limit {limit_bytes} bytes)")]
    PayloadTooLarge { limit_bytes: u64 },
    /// The request body has a content type the endpoint does not read.
    #[error("unsupported content type, expected {expected}")]
    UnsupportedMediaType { expected: String },
    /// Too many attempts; retry after the given number of seconds.
    #[error("too many requests, retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A dependency (database, cache, warehouse) failed; details are in the server log.
    #[error("internal error, reference {reference}")]
    Internal { reference: String },
    /// A service the answer depends on (the session store, say) is down for now.
    #[error("{what} is unavailable, try again shortly")]
    Unavailable { what: String },
    /// The call did not reach the server or its answer could not be read.
    #[error("connection problem: {message}")]
    Transport { message: String },
}

impl AppError {
    /// Shorthand for a validation failure on one field.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for a missing resource.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// The HTTP status this error maps to (used by REST and by server functions alike).
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden => 403,
            Self::NotFound { .. } => 404,
            Self::Validation { .. } => 422,
            Self::BadRequest { .. } => 400,
            Self::Conflict { .. } => 409,
            Self::PayloadTooLarge { .. } => 413,
            Self::UnsupportedMediaType { .. } => 415,
            Self::TooManyRequests { .. } => 429,
            Self::Internal { .. } => 500,
            Self::Unavailable { .. } => 503,
            Self::Transport { .. } => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                Self::BadRequest { message }
            }
            other => Self::Transport {
                message: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_with_a_stable_code() {
        let err = AppError::validation("email", "must contain @");
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(
            json,
            r#"{"code":"validation","field":"email","message":"must contain @"}"#
        );
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }

    #[test]
    fn maps_to_http_status() {
        assert_eq!(AppError::Unauthenticated.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::not_found("node").status_code(), 404);
        assert_eq!(AppError::validation("x", "y").status_code(), 422);
    }

    #[test]
    fn server_fn_argument_errors_become_bad_requests() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field".into()));
        assert_eq!(
            err,
            AppError::BadRequest {
                message: "missing field".into()
            }
        );
    }
}

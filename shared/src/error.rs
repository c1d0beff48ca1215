//! The one error type that crosses every boundary: server functions, REST and the UI.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use server_fn::codec::PostcardEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// Declares [`AppError`] and its two wire shapes from one list of variants, so they cannot
/// drift apart: JSON (REST, logs) speaks `{"code": "not_found", "what": "node"}`, while the
/// binary format of server functions and page data (postcard, which cannot read a tagged
/// map) gets the variant's index followed by its fields.
macro_rules! app_error {
    ($(
        $(#[doc = $doc:literal])*
        #[error($($message:tt)*)]
        $variant:ident $({ $($field:ident : $ty:ty),* $(,)? })?
    ),* $(,)?) => {
        /// Everything that can go wrong, as the caller may see it.
        ///
        /// Infrastructure failures are deliberately opaque (`Internal`): the server logs the
        /// cause, the client only learns that it was not its fault.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        pub enum AppError {
            $( $(#[doc = $doc])* #[error($($message)*)] $variant $({ $($field: $ty),* })?, )*
        }

        /// The JSON shape, and the schema the API documents under the name `AppError`.
        #[derive(Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(tag = "code", rename_all = "snake_case")]
        #[schema(as = AppError)]
        enum Tagged {
            $( $(#[doc = $doc])* $variant $({ $($field: $ty),* })?, )*
        }

        /// The binary shape.
        #[derive(Serialize, Deserialize)]
        enum Compact {
            $( $variant $({ $($field: $ty),* })?, )*
        }

        // Conversions as private methods, not `From` impls: a public `From<AppError>` on
        // any type would leave `?` in callers' code with more than one target to infer.
        impl AppError {
            fn into_tagged(self) -> Tagged {
                match self { $( Self::$variant $({ $($field),* })? => Tagged::$variant $({ $($field),* })?, )* }
            }

            fn into_compact(self) -> Compact {
                match self { $( Self::$variant $({ $($field),* })? => Compact::$variant $({ $($field),* })?, )* }
            }
        }

        impl Tagged {
            fn into_app(self) -> AppError {
                match self { $( Self::$variant $({ $($field),* })? => AppError::$variant $({ $($field),* })?, )* }
            }
        }

        impl Compact {
            fn into_app(self) -> AppError {
                match self { $( Self::$variant $({ $($field),* })? => AppError::$variant $({ $($field),* })?, )* }
            }
        }
    };
}

app_error! {
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

impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            self.clone().into_tagged().serialize(serializer)
        } else {
            self.clone().into_compact().serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for AppError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            Tagged::deserialize(deserializer).map(Tagged::into_app)
        } else {
            Compact::deserialize(deserializer).map(Compact::into_app)
        }
    }
}

impl utoipa::PartialSchema for AppError {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        Tagged::schema()
    }
}

impl utoipa::ToSchema for AppError {
    fn name() -> std::borrow::Cow<'static, str> {
        Tagged::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        Tagged::schemas(schemas)
    }
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
    type Encoder = PostcardEncoding;

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
    fn round_trips_through_the_binary_wire_format() {
        for err in [
            AppError::Forbidden,
            AppError::validation("email", "must contain @"),
            AppError::TooManyRequests {
                retry_after_secs: 30,
            },
        ] {
            let bytes = postcard::to_allocvec(&err).unwrap();
            assert_eq!(postcard::from_bytes::<AppError>(&bytes).unwrap(), err);
        }
        // The variant's index, then its fields: Forbidden is the third variant.
        assert_eq!(
            postcard::to_allocvec(&AppError::Forbidden).unwrap(),
            vec![2]
        );
    }

    #[test]
    fn documents_the_json_shape_under_its_own_name() {
        use utoipa::{PartialSchema, ToSchema};
        assert_eq!(AppError::name(), "AppError");
        let schema = serde_json::to_string(&AppError::schema()).unwrap();
        assert!(schema.contains("\"code\""), "{schema}");
        assert!(schema.contains("not_found"), "{schema}");
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

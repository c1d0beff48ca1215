use leptos::prelude::*;
use shared::auth::SessionUser;
use shared::AppError;

/// The signed-in user, or `None` for an anonymous visitor.
#[server]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use crate::ssr::{caller, with_status};
    with_status(match caller().await {
        Ok(caller) => Ok(Some(caller.session_user())),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(other) => Err(other),
    })
}

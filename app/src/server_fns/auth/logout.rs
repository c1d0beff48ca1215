use leptos::prelude::*;
use shared::AppError;

/// Ends the session, clears the cookie and returns to the login page.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::ssr::{
        check_same_origin, client_ip, services, session_token, with_status, write_session_cookie,
    };
    with_status(
        async {
            check_same_origin()?;
            let services = services()?;
            if let Some(token) = session_token()? {
                services.auth.logout(&token, client_ip()).await?;
            }
            write_session_cookie(None, services.secure_cookies);
            leptos_axum::redirect("/auth/login");
            Ok(())
        }
        .await,
    )
}

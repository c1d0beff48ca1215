use leptos::prelude::*;
use shared::AppError;

/// Ends the session, clears the cookie and returns to the login page.
#[server(output = crate::resource::Wire)]
pub async fn logout() -> Result<(), AppError> {
    use crate::ssr::{
        access_token, check_same_origin, client_ip, refresh_token, services, with_status,
        write_session_cookie,
    };
    with_status(
        async {
            check_same_origin()?;
            let services = services()?;
            let (access, refresh) = (access_token()?, refresh_token()?);
            if access.is_some() || refresh.is_some() {
                services
                    .auth
                    .logout(access.as_deref(), refresh.as_deref(), client_ip())
                    .await?;
            }
            write_session_cookie(None, services.secure_cookies);
            leptos_axum::redirect("/auth/login");
            Ok(())
        }
        .await,
    )
}

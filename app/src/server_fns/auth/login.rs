use leptos::prelude::*;
use shared::AppError;

/// Checks the credentials, sets the session cookie and sends the browser to `next`.
#[server(output = crate::resource::Wire)]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::ssr::{
        check_same_origin, client_ip, services, with_status, write_session_cookie, LoginAttempt,
    };
    with_status(
        async {
            check_same_origin()?;
            let services = services()?;
            let issued = services
                .auth
                .login(LoginAttempt {
                    email,
                    password,
                    ip: client_ip(),
                })
                .await?;
            write_session_cookie(Some(&issued), services.secure_cookies);
            leptos_axum::redirect(&shared::validate::safe_next_path(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

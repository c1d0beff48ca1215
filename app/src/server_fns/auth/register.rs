use leptos::prelude::*;
use shared::AppError;

/// Creates an account (a new tenant, or joining one with `code`), signs in and goes to the
/// dashboard.
#[server(output = crate::resource::Wire)]
pub async fn register(
    email: String,
    password: String,
    display_name: String,
    tenant_name: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{check_same_origin, client_ip, services, with_status, write_session_cookie};
    use shared::auth::{Enrolment, RegisterRequest};
    with_status(
        async {
            check_same_origin()?;
            let code = code.filter(|c| !c.trim().is_empty());
            let enrolment = match (code, tenant_name.filter(|n| !n.trim().is_empty())) {
                (Some(code), _) => Enrolment::Join { code },
                (None, Some(tenant_name)) => Enrolment::CreateTenant { tenant_name },
                (None, None) => {
                    return Err(AppError::validation(
                        "tenant_name",
                        "name your utility, or enter an invitation code",
                    ))
                }
            };
            let services = services()?;
            let issued = services
                .auth
                .register(
                    RegisterRequest {
                        email,
                        password,
                        display_name,
                        enrolment,
                    },
                    client_ip(),
                )
                .await?;
            write_session_cookie(Some(&issued), services.secure_cookies);
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

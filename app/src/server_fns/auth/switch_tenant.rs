use leptos::prelude::*;
use shared::auth::SessionUser;
use shared::AppError;

/// Makes `tenant_id` the session's current tenant (403 unless the user is a member).
#[server(output = crate::resource::Wire)]
pub async fn switch_tenant(tenant_id: i64) -> Result<SessionUser, AppError> {
    use crate::ssr::{access_token, check_same_origin, client_ip, services, with_status};
    with_status(
        async {
            check_same_origin()?;
            let token = access_token()?.ok_or(AppError::Unauthenticated)?;
            let caller = services()?
                .auth
                .switch_tenant(&token, tenant_id, client_ip())
                .await?;
            Ok(caller.session_user())
        }
        .await,
    )
}

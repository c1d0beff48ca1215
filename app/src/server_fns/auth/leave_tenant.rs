use leptos::prelude::*;
use shared::auth::SessionUser;
use shared::AppError;

/// The signed-in person leaves tenant `tenant_id` (never its last admin, never their last
/// tenant); when it was the current tenant, the session moves to another of theirs.
#[server(output = crate::resource::Wire)]
pub async fn leave_tenant(tenant_id: i64) -> Result<SessionUser, AppError> {
    use crate::ssr::{access_token, check_same_origin, client_ip, services, with_status};
    with_status(
        async {
            check_same_origin()?;
            let token = access_token()?.ok_or(AppError::Unauthenticated)?;
            let caller = services()?
                .auth
                .leave_tenant(&token, tenant_id, client_ip())
                .await?;
            Ok(caller.session_user())
        }
        .await,
    )
}

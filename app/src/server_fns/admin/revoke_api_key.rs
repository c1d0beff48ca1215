use leptos::prelude::*;
use shared::AppError;

/// Revokes one of the current tenant's API keys (admin).
#[server(output = crate::resource::Wire)]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    use crate::ssr::{caller, check_same_origin, client_ip, services, with_status};
    with_status(
        async {
            check_same_origin()?;
            let caller = caller().await?;
            services()?
                .auth
                .revoke_api_key(&caller, id, client_ip())
                .await
        }
        .await,
    )
}

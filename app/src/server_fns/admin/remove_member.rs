use leptos::prelude::*;
use shared::AppError;

/// Removes a member from the current tenant (admin; never the last admin).
#[server(output = crate::resource::Wire)]
pub async fn remove_member(user_id: i64) -> Result<(), AppError> {
    use crate::ssr::{caller, check_same_origin, client_ip, services, with_status};
    with_status(
        async {
            check_same_origin()?;
            let caller = caller().await?;
            services()?
                .auth
                .remove_member(&caller, user_id, client_ip())
                .await
        }
        .await,
    )
}

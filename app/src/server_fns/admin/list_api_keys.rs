use leptos::prelude::*;
use shared::auth::ApiKeyInfo;
use shared::AppError;

/// The current tenant's API keys, without secrets (admin).
#[server(output = crate::resource::Wire)]
pub async fn list_api_keys() -> Result<Vec<ApiKeyInfo>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.auth.list_api_keys(&caller).await
        }
        .await,
    )
}

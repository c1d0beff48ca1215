use leptos::prelude::*;
use shared::auth::CreatedApiKey;
use shared::AppError;

/// Creates an API key for the current tenant (admin); the secret is in this answer only.
#[server(output = crate::resource::Wire)]
pub async fn create_api_key(
    name: String,
    read: bool,
    ingest: bool,
) -> Result<CreatedApiKey, AppError> {
    use crate::ssr::{caller, check_same_origin, client_ip, services, with_status};
    use shared::auth::{ApiKeyScope, NewApiKey};
    with_status(
        async {
            check_same_origin()?;
            let caller = caller().await?;
            let scopes = [(read, ApiKeyScope::Read), (ingest, ApiKeyScope::Ingest)]
                .into_iter()
                .filter_map(|(on, scope)| on.then_some(scope))
                .collect();
            services()?
                .auth
                .create_api_key(&caller, NewApiKey { name, scopes }, client_ip())
                .await
        }
        .await,
    )
}

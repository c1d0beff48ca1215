use leptos::prelude::*;
use shared::auth::TenantMembership;
use shared::AppError;

/// The tenants the signed-in user belongs to, for the tenant switcher.
#[server(output = crate::resource::Wire)]
pub async fn list_tenants() -> Result<Vec<TenantMembership>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.auth.tenants(&caller).await
        }
        .await,
    )
}

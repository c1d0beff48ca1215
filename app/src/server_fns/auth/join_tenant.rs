use leptos::prelude::*;
use shared::auth::TenantMembership;
use shared::AppError;

/// The signed-in person joins another tenant with an invitation code its admin gave them;
/// the tenant then appears in their tenant switcher.
#[server(output = crate::resource::Wire)]
pub async fn join_tenant(code: String) -> Result<TenantMembership, AppError> {
    use crate::ssr::{caller, check_same_origin, client_ip, services, with_status};
    with_status(
        async {
            check_same_origin()?;
            let caller = caller().await?;
            services()?
                .auth
                .join_tenant(&caller, &code, client_ip())
                .await
        }
        .await,
    )
}

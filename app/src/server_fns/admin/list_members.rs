use leptos::prelude::*;
use shared::auth::Member;
use shared::AppError;

/// The current tenant's members (admin).
#[server(output = crate::resource::Wire)]
pub async fn list_members() -> Result<Vec<Member>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.auth.members(&caller).await
        }
        .await,
    )
}

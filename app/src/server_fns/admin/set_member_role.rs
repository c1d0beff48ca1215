use leptos::prelude::*;
use shared::auth::Member;
use shared::{AppError, Role};

/// Changes a member's role (admin; a tenant keeps at least one admin).
#[server(output = crate::resource::Wire)]
pub async fn set_member_role(user_id: i64, role: Role) -> Result<Member, AppError> {
    use crate::ssr::{caller, check_same_origin, client_ip, services, with_status};
    with_status(
        async {
            check_same_origin()?;
            let caller = caller().await?;
            services()?
                .auth
                .set_member_role(&caller, user_id, role, client_ip())
                .await
        }
        .await,
    )
}

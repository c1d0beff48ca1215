use leptos::prelude::*;
use shared::auth::CreatedInvitation;
use shared::{AppError, Role};

/// Creates an invitation to the current tenant with `role` (admin); the code is shown once.
#[server(output = crate::resource::Wire)]
pub async fn create_invitation(role: Role) -> Result<CreatedInvitation, AppError> {
    use crate::ssr::{caller, check_same_origin, client_ip, services, with_status};
    use shared::auth::NewInvitation;
    with_status(
        async {
            check_same_origin()?;
            let caller = caller().await?;
            services()?
                .auth
                .create_invitation(&caller, NewInvitation { role }, client_ip())
                .await
        }
        .await,
    )
}

use leptos::prelude::*;
use shared::auth::CurrentSession;
use shared::AppError;

/// The signed-in user with the tenants they belong to, or `None` for an anonymous visitor.
/// One call, so the page shell (header, tenant switcher) loads in one resource.
#[server(output = crate::resource::Wire)]
pub async fn current_user() -> Result<Option<CurrentSession>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            match caller().await {
                Ok(caller) => {
                    let tenants = services()?.auth.tenants(&caller).await?;
                    Ok(Some(CurrentSession {
                        user: caller.session_user(),
                        tenants,
                    }))
                }
                Err(AppError::Unauthenticated) => Ok(None),
                Err(other) => Err(other),
            }
        }
        .await,
    )
}

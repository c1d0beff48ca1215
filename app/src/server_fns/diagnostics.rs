//! The administrator's diagnostics.

use leptos::prelude::*;
use shared::diagnostics::Diagnostics;
use shared::AppError;

/// Checks every part of the deployment now (admin only).
#[server(output = crate::resource::Wire)]
pub async fn get_diagnostics() -> Result<Diagnostics, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.diagnostics.diagnostics(&caller).await
        }
        .await,
    )
}

use leptos::prelude::*;
use shared::dashboard::DashboardSummary;
use shared::AppError;

/// The caller's tenant at a glance: nodes, their latest flow and pressure, last 24 h counts.
#[server(output = crate::resource::Wire)]
pub async fn get_summary() -> Result<DashboardSummary, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.dashboard.summary(&caller).await
        }
        .await,
    )
}

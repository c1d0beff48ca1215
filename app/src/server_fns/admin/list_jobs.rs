use leptos::prelude::*;
use shared::jobs::JobInfo;
use shared::AppError;

/// The background jobs with their schedules and the tenant's recent runs (admin).
#[server(output = crate::resource::Wire)]
pub async fn list_jobs() -> Result<Vec<JobInfo>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.jobs.jobs(&caller).await
        }
        .await,
    )
}

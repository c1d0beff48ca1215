use leptos::prelude::*;
use shared::jobs::JobRunStarted;
use shared::AppError;

/// Starts a job for the current tenant now (admin).
#[server(output = crate::resource::Wire)]
pub async fn run_job(name: String) -> Result<JobRunStarted, AppError> {
    use crate::ssr::{caller, check_same_origin, services, with_status};
    with_status(
        async {
            check_same_origin()?;
            let caller = caller().await?;
            services()?.jobs.run_job(&caller, &name).await
        }
        .await,
    )
}

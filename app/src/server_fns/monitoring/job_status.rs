use leptos::prelude::*;
use shared::jobs::JobInfo;
use shared::AppError;

/// The jobs and their last runs for admins; `None` for other roles (the monitoring page is
/// for everyone, job details only for admins).
#[server(output = crate::resource::Wire)]
pub async fn job_status() -> Result<Option<Vec<JobInfo>>, AppError> {
    use crate::ssr::{caller, services, with_status};
    use shared::Role;
    with_status(
        async {
            let caller = caller().await?;
            if caller.require(Role::Admin).is_err() {
                return Ok(None);
            }
            services()?.jobs.jobs(&caller).await.map(Some)
        }
        .await,
    )
}

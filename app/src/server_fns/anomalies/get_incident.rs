use leptos::prelude::*;
use shared::anomaly::Incident;
use shared::AppError;

/// One incident of the current tenant.
#[server(output = crate::resource::Wire)]
pub async fn get_incident(id: i64) -> Result<Incident, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.anomalies.get(&caller, id).await
        }
        .await,
    )
}

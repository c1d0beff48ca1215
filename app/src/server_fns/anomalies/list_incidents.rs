use leptos::prelude::*;
use shared::anomaly::{Incident, IncidentFilter};
use shared::AppError;

/// The current tenant's incidents matching `filter`, newest first.
#[server(output = crate::resource::Wire)]
pub async fn list_incidents(filter: IncidentFilter) -> Result<Vec<Incident>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.anomalies.list(&caller, filter).await
        }
        .await,
    )
}

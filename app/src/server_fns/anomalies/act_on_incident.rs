use leptos::prelude::*;
use shared::anomaly::{Incident, IncidentAction};
use shared::AppError;

/// Acknowledges or resolves an incident (operator or admin), with an optional comment.
#[server(output = crate::resource::Wire)]
pub async fn act_on_incident(
    id: i64,
    action: IncidentAction,
    comment: Option<String>,
) -> Result<Incident, AppError> {
    use crate::ssr::{caller, check_same_origin, client_ip, services, with_status};
    with_status(
        async {
            check_same_origin()?;
            let caller = caller().await?;
            services()?
                .anomalies
                .act(&caller, id, action, comment, client_ip())
                .await
        }
        .await,
    )
}

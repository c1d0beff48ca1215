use leptos::prelude::*;
use shared::AppError;

/// The names of the caller's districts that have nodes, sorted: the choices of the incident
/// list's district filter. Read from the tenant's (cached) summary on the server, so the
/// page receives a few names, not the whole summary.
#[server(output = crate::resource::Wire)]
pub async fn list_districts() -> Result<Vec<String>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            let summary = services()?.dashboard.summary(&caller).await?;
            let mut names: Vec<String> = summary
                .nodes
                .into_iter()
                .filter_map(|n| n.district)
                .collect();
            names.sort();
            names.dedup();
            Ok(names)
        }
        .await,
    )
}

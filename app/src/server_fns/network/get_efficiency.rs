use leptos::prelude::*;
use shared::efficiency::{EfficiencyQuery, EfficiencyRow};
use shared::AppError;

/// Water balance figures of the current tenant for a district (or the network), oldest first.
#[server(output = crate::resource::Wire)]
pub async fn get_efficiency(query: EfficiencyQuery) -> Result<Vec<EfficiencyRow>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.efficiency.rows(&caller, query).await
        }
        .await,
    )
}

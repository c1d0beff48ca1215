use leptos::prelude::*;
use shared::forecast::Forecast;
use shared::{AppError, Metric};

/// The forecast of a node's metric, `horizon` hours ahead, for the current tenant.
#[server(output = crate::resource::Wire)]
pub async fn get_forecast(
    node_id: i64,
    metric: Metric,
    horizon: u32,
) -> Result<Forecast, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?
                .forecasts
                .forecast(&caller, node_id, metric, horizon)
                .await
        }
        .await,
    )
}

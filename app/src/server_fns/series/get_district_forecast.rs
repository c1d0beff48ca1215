use leptos::prelude::*;
use shared::forecast::DistrictForecast;
use shared::AppError;

/// The demand forecast of a district (its inlet meters' summed flow), `horizon` hours ahead,
/// for the current tenant.
#[server(output = crate::resource::Wire)]
pub async fn get_district_forecast(
    district_id: i64,
    horizon: u32,
) -> Result<DistrictForecast, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?
                .forecasts
                .district_forecast(&caller, district_id, horizon)
                .await
        }
        .await,
    )
}

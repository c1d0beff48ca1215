use leptos::prelude::*;
use shared::forecast::DistrictDemandChart;
use shared::AppError;

/// Hours of measured demand drawn before a district's forecast.
pub const DEMAND_HISTORY_HOURS: u32 = 7 * 24;
/// Hours of forecast drawn after it.
pub const DEMAND_FORECAST_HOURS: u32 = 48;

/// A district's demand for the network overview: the last week measured (its inlet meters'
/// summed hourly flow), the next two days forecast with their interval, and the next day's
/// expected volume and peak. A district whose forecast cannot be made yet (too little
/// history) still gets its measured week, with the reason. Without `district_id`, the
/// district the overview lists first (`None` when the tenant has no district): the page asks
/// before it knows the list, so its first paint needs one round of server calls.
#[server(output = crate::resource::Wire)]
pub async fn get_district_chart(
    district_id: Option<i64>,
) -> Result<Option<DistrictDemandChart>, AppError> {
    use crate::ssr::{caller, services, with_status};
    use shared::forecast::DemandOutlook;
    with_status(
        async {
            let caller = caller().await?;
            let forecasts = &services()?.forecasts;
            let Some(history) = forecasts
                .district_history(&caller, district_id, DEMAND_HISTORY_HOURS)
                .await?
            else {
                return Ok(None);
            };
            let (forecast, note) = match forecasts
                .district_forecast(&caller, history.district_id, DEMAND_FORECAST_HOURS)
                .await
            {
                Ok(f) => (Some(f), None),
                Err(AppError::Conflict { message }) => (None, Some(message)),
                Err(other) => return Err(other),
            };
            let outlook = forecast
                .as_ref()
                .and_then(|f| DemandOutlook::of(&f.points, &f.method, f.generated_at));
            Ok(Some(DistrictDemandChart {
                option: crate::charts::district_option(&history, forecast.as_ref()),
                district: history.district,
                outlook,
                note,
            }))
        }
        .await,
    )
}

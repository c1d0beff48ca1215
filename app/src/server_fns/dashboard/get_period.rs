use leptos::prelude::*;
use shared::period::{PeriodQuery, PeriodView};
use shared::AppError;

/// The dashboard's figures over a period against the period before, and the flow analytics
/// chart drawing the network's inflow and pressure through it.
#[server]
pub async fn get_period(query: PeriodQuery) -> Result<PeriodView, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            let summary = services()?.dashboard.period(&caller, query).await?;
            let option = crate::charts::flow::flow_option(&summary);
            Ok(PeriodView { summary, option })
        }
        .await,
    )
}

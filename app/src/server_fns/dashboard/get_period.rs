use leptos::prelude::*;
use shared::period::{PeriodEnd, PeriodView, RangePreset};
use shared::AppError;

/// The dashboard's figures over a period against the period before, and the flow analytics
/// chart drawing the network's inflow and pressure through it. The arguments are those of
/// [`shared::period::PeriodQuery`], flat, so that an all-default period encodes (as nothing) and decodes.
#[server(output = crate::resource::Wire)]
pub async fn get_period(
    range: Option<RangePreset>,
    from: Option<PeriodEnd>,
    to: Option<PeriodEnd>,
) -> Result<PeriodView, AppError> {
    use crate::ssr::{caller, services, with_status};
    use shared::period::PeriodQuery;
    with_status(
        async {
            let caller = caller().await?;
            let query = PeriodQuery { range, from, to };
            let summary = services()?.dashboard.period(&caller, query).await?;
            let option = crate::charts::flow::flow_option(&summary);
            Ok(PeriodView { summary, option })
        }
        .await,
    )
}

use leptos::prelude::*;
use shared::overview::OverviewView;
use shared::period::{PeriodEnd, RangePreset};
use shared::AppError;

/// The network overview over a period: the figures, the schematic map (SVG drawn on the
/// server from the nodes' coordinates) and the district charts. Flat period arguments as in
/// [`super::get_period`].
#[server(output = crate::resource::Wire)]
pub async fn get_overview(
    range: Option<RangePreset>,
    from: Option<PeriodEnd>,
    to: Option<PeriodEnd>,
) -> Result<OverviewView, AppError> {
    use crate::ssr::{caller, services, with_status};
    use shared::period::PeriodQuery;
    with_status(
        async {
            let caller = caller().await?;
            let query = PeriodQuery { range, from, to };
            let overview = services()?.dashboard.overview(&caller, query).await?;
            let charts = crate::charts::overview::district_options(&overview);
            Ok(OverviewView {
                map_svg: crate::charts::network_map::map_svg(&overview.nodes),
                pressure_option: charts.pressure,
                nrw_option: charts.nrw,
                mnf_option: charts.mnf,
                overview,
            })
        }
        .await,
    )
}

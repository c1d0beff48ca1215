use leptos::prelude::*;
use shared::overview::OverviewView;
use shared::period::{PeriodEnd, RangePreset};
use shared::AppError;

/// The network overview over a period: the figures, the schematic map (SVG drawn on the
/// server from the nodes' coordinates; `map`, `south,west,north,east`, zooms it to a part of
/// the network) and the district charts. Flat period arguments as in [`super::get_period`].
#[server(output = crate::resource::Wire)]
pub async fn get_overview(
    range: Option<RangePreset>,
    from: Option<PeriodEnd>,
    to: Option<PeriodEnd>,
    map: Option<String>,
) -> Result<OverviewView, AppError> {
    use crate::charts::network_map::{map_svg, MapView, MapWindow};
    use crate::ssr::{caller, services, with_status};
    use shared::period::PeriodQuery;
    with_status(
        async {
            let window = map
                .as_deref()
                .filter(|m| !m.is_empty())
                .map(MapWindow::parse)
                .transpose()?;
            let caller = caller().await?;
            let query = PeriodQuery { range, from, to };
            // The page's own address for the map's links: its period, then theirs.
            let mut page = String::from("/enhanced-overview?");
            for (key, value) in query.params() {
                page.push_str(&format!("{key}={value}&"));
            }
            let overview = services()?.dashboard.overview(&caller, query).await?;
            let charts = crate::charts::overview::district_options(&overview);
            let view = MapView {
                window,
                page: &page,
            };
            Ok(OverviewView {
                map_svg: map_svg(&overview.nodes, view),
                pressure_option: charts.pressure,
                nrw_option: charts.nrw,
                mnf_option: charts.mnf,
                overview,
            })
        }
        .await,
    )
}

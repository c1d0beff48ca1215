use leptos::prelude::*;
use shared::series::{NodeChart, SeriesQuery};
use shared::AppError;

/// A node's metric over a range with its forecast (`forecast_hours` ahead, 0 for none) and
/// the incidents that touched it, plus the ECharts option drawing them.
#[server(output = crate::resource::Wire)]
pub async fn get_node_chart(
    query: SeriesQuery,
    forecast_hours: u32,
) -> Result<NodeChart, AppError> {
    use crate::ssr::{caller, services, with_status};
    use shared::anomaly::IncidentFilter;
    use shared::series::IncidentMark;
    with_status(
        async {
            let caller = caller().await?;
            let services = services()?;
            let series = services.series.series(&caller, query.clone()).await?;
            let forecast = if forecast_hours == 0 {
                Err(AppError::validation(
                    "forecast_hours",
                    "no forecast asked for",
                ))
            } else {
                services
                    .forecasts
                    .forecast(&caller, query.node_id, query.metric, forecast_hours)
                    .await
            };
            // Detected before the range's end (the filter is on detection time), still
            // going on or ended inside the range, and affecting this node.
            let incidents: Vec<IncidentMark> = services
                .anomalies
                .list(
                    &caller,
                    IncidentFilter {
                        to: Some(query.to),
                        limit: Some(1000),
                        ..IncidentFilter::default()
                    },
                )
                .await?
                .into_iter()
                .filter(|i| {
                    i.started_at <= query.to
                        && i.ended_at.is_none_or(|e| e >= query.from)
                        && i.affected.iter().any(|a| a.node_id == Some(query.node_id))
                })
                .map(|i| IncidentMark {
                    id: i.id,
                    label: i.kind.label().to_owned(),
                    started_at: i.started_at,
                    ended_at: i.ended_at,
                })
                .collect();
            let option = crate::charts::node_option(&series, forecast.as_ref().ok(), &incidents);
            Ok(NodeChart {
                series,
                forecast,
                incidents,
                option,
            })
        }
        .await,
    )
}

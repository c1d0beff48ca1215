//! `/nodes/{id}`: one node's metric over a chosen range (`?metric=&range=24h|7d|30d`, kept
//! in the URL), with the statistics of the range and the forecast band after the history.

use crate::components::echart::EChart;
use crate::components::error_box::ErrorBox;
use crate::components::series_chart::SeriesFallback;
use crate::components::when;
use crate::server_fns::dashboard::get_summary;
use crate::server_fns::series::get_node_chart;
use chrono::{Duration, DurationRound, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use shared::dashboard::NodeLatest;
use shared::forecast::Forecast;
use shared::series::{IncidentMark, NodeChart, Series, SeriesQuery};
use shared::{AppError, Metric};

/// Ranges offered, as (URL value, label, span).
const RANGES: [(&str, &str, i64); 3] = [
    ("24h", "24 hours", 24),
    ("7d", "7 days", 24 * 7),
    ("30d", "30 days", 24 * 30),
];

/// Hours of forecast drawn after the history.
const FORECAST_HOURS: u32 = 48;

/// Everything the page shows, loaded on the server for the first paint.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct NodeData {
    node: NodeLatest,
    metric: Metric,
    range: String,
    series: Series,
    /// The forecast, or why there is none (too little history, say).
    forecast: Result<Forecast, AppError>,
    incidents: Vec<IncidentMark>,
    /// The interactive chart's ECharts option.
    option: String,
}

async fn load(id: i64, metric: Option<Metric>, range: String) -> Result<NodeData, AppError> {
    let summary = get_summary().await?;
    let node = summary
        .nodes
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| AppError::not_found("node"))?;
    let metric = metric.unwrap_or(node.kind.metrics()[0]);
    let hours = RANGES.iter().find(|r| r.0 == range).map_or(24, |r| r.2);
    // The range ends at the next full hour, so the same URL gives the same chart for an hour.
    let now = Utc::now();
    let to = now.duration_trunc(Duration::hours(1)).unwrap_or(now) + Duration::hours(1);
    let NodeChart {
        series,
        forecast,
        incidents,
        option,
    } = get_node_chart(
        SeriesQuery {
            node_id: id,
            metric,
            from: to - Duration::hours(hours),
            to,
            max_points: Some(500),
        },
        FORECAST_HOURS,
    )
    .await?;
    Ok(NodeData {
        node,
        metric,
        range,
        series,
        forecast,
        incidents,
        option,
    })
}

#[component]
pub fn NodePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let data = crate::resource::resource(
        move || {
            let id = params.read().get("id").and_then(|v| v.parse::<i64>().ok());
            let q = query.read();
            let metric = q.get("metric").and_then(|m| m.parse::<Metric>().ok());
            let range = q.get("range").unwrap_or_else(|| "24h".into());
            (id, metric, range)
        },
        |(id, metric, range)| async move {
            match id {
                Some(id) => load(id, metric, range).await,
                None => Err(AppError::not_found("node")),
            }
        },
    );
    view! {
        <Title text="Node" />
        <Transition fallback=|| view! { <p class="loading">"Loading the node…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <NodeView data=d /> }.into_any(),
                    Err(error) => view! { <ErrorBox error retry=move |_| data.refetch() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NodeView(data: NodeData) -> impl IntoView {
    let NodeData {
        node,
        metric,
        range,
        series,
        forecast,
        incidents,
        option,
    } = data;
    let link = {
        let id = node.id;
        move |m: Metric, r: &str| format!("/nodes/{id}?metric={}&range={r}", m.as_str())
    };
    let fmt = move |v: Option<f64>| v.map(|v| metric.format(v)).unwrap_or_else(|| "—".into());
    let (points, note) = match &forecast {
        Ok(f) => (
            f.points.clone(),
            format!(
                "Forecast: {} fitted {} on {} hours of history, {:.0} % interval.",
                shared::forecast::method_label(&f.method),
                when(f.generated_at),
                f.history_hours,
                f.level * 100.0
            ),
        ),
        Err(e) => (Vec::new(), format!("No forecast: {e}")),
    };
    let label = format!(
        "{} of {} over the last {}, {} points, with {} forecast hours",
        metric.label(),
        node.name,
        RANGES
            .iter()
            .find(|r| r.0 == range)
            .map_or("24 hours", |r| r.1),
        series.points.len(),
        points.len()
    );
    let title = format!("{} · {}", node.external_id, node.name);
    // The "now" rule sits where the history ends.
    let last_reading = series.points.last().map_or(series.to, |p| p.ts);
    view! {
        <Title text=title.clone() />
        <div class="page-head">
            <h1 data-testid="node-title">{title}</h1>
            <p class="muted">
                {node.kind.as_str()} " · " {node.district.clone().unwrap_or_else(|| "no district".into())}
                " · last seen " {node.last_seen.map(when).unwrap_or_else(|| "never".into())}
            </p>
        </div>
        <section class="card" aria-label="Chart options">
            <nav class="segmented" aria-label="Metric">
                {node
                    .kind
                    .metrics()
                    .iter()
                    .map(|m| {
                        let current = *m == metric;
                        view! {
                            <a href=link(*m, &range) class:active=current aria-current=current.then_some("page")>
                                {m.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <nav class="segmented" aria-label="Range" data-testid="range-picker">
                {RANGES
                    .iter()
                    .map(|(value, label, _)| {
                        let current = *value == range;
                        view! {
                            <a href=link(metric, value) class:active=current aria-current=current.then_some("page")>
                                {*label}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
        </section>
        <section class="card">
            <h2>{metric.label()} " (" {metric.unit()} ")"</h2>
            <EChart option label=label.clone()>
                <SeriesFallback metric history=series.points.clone() forecast=points now=last_reading label />
            </EChart>
            <p class="muted" data-testid="forecast-note">{note}</p>
            <IncidentList incidents />
            <dl class="stats" data-testid="series-stats">
                <div><dt>"Readings"</dt><dd data-testid="stat-count">{series.stats.count}</dd></div>
                <div><dt>"Min"</dt><dd>{fmt(series.stats.min)}</dd></div>
                <div><dt>"Mean"</dt><dd data-testid="stat-mean">{fmt(series.stats.mean)}</dd></div>
                <div><dt>"Max"</dt><dd>{fmt(series.stats.max)}</dd></div>
                <div><dt>"Resolution"</dt><dd>{format!("{:?}", series.resolution).to_lowercase()}</dd></div>
            </dl>
        </section>
    }
    .into_any()
}

/// The incidents drawn over the chart (shaded), in words, with links to their pages.
#[component]
fn IncidentList(incidents: Vec<IncidentMark>) -> impl IntoView {
    if incidents.is_empty() {
        return view! { <p class="muted" data-testid="node-incidents">"No incident touched this node in the range."</p> }
            .into_any();
    }
    view! {
        <ul class="incident-marks" data-testid="node-incidents">
            {incidents
                .into_iter()
                .map(|i| {
                    let span = match i.ended_at {
                        Some(end) => format!("{} – {}", when(i.started_at), when(end)),
                        None => format!("since {}", when(i.started_at)),
                    };
                    view! {
                        <li>
                            <a href=format!("/anomalies/{}", i.id)>{format!("#{} {}", i.id, i.label)}</a>
                            " · " {span}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

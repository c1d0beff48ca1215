pub(crate) mod period;

use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::anomalies::list_incidents;
use crate::server_fns::dashboard::get_summary;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::anomaly::{Incident, IncidentFilter};
use shared::dashboard::{DashboardSummary, LatestValue, MetricWindow, NodeLatest};
use shared::Metric;

/// `/`: the network right now, computed by the server from stored readings.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let summary = crate::resource::resource(|| (), |_| get_summary());
    view! {
        <Title text="Dashboard" />
        <div class="page-head">
            <h1>"Network overview"</h1>
            <button
                class="btn"
                data-testid="refresh"
                on:click=move |_| summary.refetch()
                title="Fetch the latest figures from the server"
            >
                "Refresh"
            </button>
        </div>
        <period::PeriodSection />
        <RecentAnomalies />
        <h2 class="section-title">"Right now"</h2>
        <Transition fallback=|| view! { <p class="loading">"Loading the network…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => view! { <SummaryView summary=s /> }.into_any(),
                    Err(error) => view! { <ErrorBox error retry=move |_| summary.refetch() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// How many incidents the dashboard lists.
const RECENT_INCIDENTS: u64 = 5;

/// The newest incidents, whatever their status, each linking to its page.
#[component]
fn RecentAnomalies() -> impl IntoView {
    let incidents = crate::resource::resource(
        || (),
        |_| {
            list_incidents(IncidentFilter {
                limit: Some(RECENT_INCIDENTS),
                ..IncidentFilter::default()
            })
        },
    );
    view! {
        <section class="card recent" aria-labelledby="recent-head" data-testid="recent-incidents">
            <div class="card-head">
                <h2 id="recent-head">"Recent incidents"</h2>
                <a href="/anomalies">"All incidents"</a>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading incidents…"</p> }>
                {move || Suspend::new(async move {
                    match incidents.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty" data-testid="recent-empty">
                                "No incidents yet. The detector checks the newest readings every 15 minutes; leaks, pressure anomalies and sensor faults will be listed here."
                            </p>
                        }
                        .into_any(),
                        Ok(list) => view! { <RecentList list /> }.into_any(),
                        Err(error) => view! { <ErrorBox error retry=move |_| incidents.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RecentList(list: Vec<Incident>) -> impl IntoView {
    view! {
        <ul class="recent-list">
            {list
                .into_iter()
                .map(|i| {
                    let sensors = i
                        .affected
                        .iter()
                        .take(3)
                        .map(|a| a.external_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    view! {
                        <li data-testid="recent-incident">
                            <span class=format!("badge sev-{}", i.severity.as_str())>{i.severity.as_str()}</span>
                            <a href=format!("/anomalies/{}", i.id)>{i.kind.label()}</a>
                            <span class="muted">
                                {i.district.clone().map(|d| format!("{d} · ")).unwrap_or_default()}
                                {sensors}
                            </span>
                            <span class="muted">{when(i.detected_at)}</span>
                            <span class=format!("status status-{}", i.status.as_str())>{i.status.as_str()}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

fn clock(at: DateTime<Utc>) -> String {
    shared::clock::utc_second(at)
}

fn reading(metric: Metric, value: Option<LatestValue>) -> impl IntoView {
    match value {
        Some(v) => view! {
            <span class="value" title=clock(v.at)>{metric.format(v.value)}</span>
        }
        .into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

#[component]
fn SummaryView(summary: DashboardSummary) -> impl IntoView {
    let inflow = summary
        .total_inflow()
        .map(|v| Metric::FlowRate.format(v))
        .unwrap_or_else(|| "—".into());
    let pressure = summary
        .mean_pressure()
        .map(|v| Metric::Pressure.format(v))
        .unwrap_or_else(|| "—".into());
    let empty = summary.nodes.is_empty();
    let incidents = if summary.critical_incidents > 0 {
        format!(
            "{} ({} critical)",
            summary.open_incidents, summary.critical_incidents
        )
    } else {
        summary.open_incidents.to_string()
    };
    view! {
        <p class="muted updated" data-testid="generated-at">
            "Updated " {clock(summary.generated_at)} " · last 24 h from " {clock(summary.window_start)}
        </p>
        <section class="kpis" aria-label="Key figures">
            <Kpi label="Active nodes" value=summary.node_count.to_string() testid="kpi-nodes" />
            <Kpi label="Readings, last 24 h" value=summary.readings_24h.to_string() testid="kpi-readings" />
            <Kpi label="Total inflow now" value=inflow testid="kpi-inflow" />
            <Kpi label="Mean pressure now" value=pressure testid="kpi-pressure" />
            <Kpi label="Open incidents" value=incidents testid="kpi-incidents" />
        </section>
        <Show
            when=move || !empty
            fallback=|| {
                view! {
                    <p class="empty">
                        "No nodes yet. Send a nodes CSV (POST /api/v1/nodes, or the server's import command) or connect a data source to see the network here."
                    </p>
                }
            }
        >
            <section class="card">
                <h2>"Nodes"</h2>
                <NodeTable nodes=summary.nodes.clone() />
            </section>
        </Show>
        <section class="card">
            <h2>"Last 24 hours by metric"</h2>
            {if summary.metrics_24h.is_empty() {
                view! {
                    <p class="empty">
                        "No readings in the last 24 hours. Send them with POST /api/v1/readings or "
                        "import a CSV file."
                    </p>
                }
                    .into_any()
            } else {
                view! { <MetricTable rows=summary.metrics_24h.clone() /> }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn Kpi(label: &'static str, value: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="kpi">
            <span class="kpi-label">{label}</span>
            <span class="kpi-value" data-testid=testid>{value}</span>
        </div>
    }
    .into_any()
}

#[component]
fn NodeTable(nodes: Vec<NodeLatest>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table data-testid="node-table">
                <thead>
                    <tr>
                        <th scope="col">"Node"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"District"</th>
                        <th scope="col" class="num">"Flow"</th>
                        <th scope="col" class="num">"Pressure"</th>
                        <th scope="col" class="num">"Level"</th>
                    </tr>
                </thead>
                <tbody>
                    {nodes
                        .into_iter()
                        .map(|n| {
                            view! {
                                <tr data-node=n.external_id.clone()>
                                    <td class="mono">
                                        <a href=format!("/nodes/{}", n.id) title="Charts and forecast of this node">
                                            {n.external_id.clone()}
                                        </a>
                                    </td>
                                    <td>{n.name.clone()}</td>
                                    <td>{n.kind.as_str()}</td>
                                    <td>{n.district.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td class="num" data-metric="flow_rate">{reading(Metric::FlowRate, n.flow_rate)}</td>
                                    <td class="num" data-metric="pressure">{reading(Metric::Pressure, n.pressure)}</td>
                                    <td class="num" data-metric="level">{reading(Metric::Level, n.level)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn MetricTable(rows: Vec<MetricWindow>) -> impl IntoView {
    let fmt = |m: Metric, v: Option<f64>| v.map(|v| m.format(v)).unwrap_or_else(|| "—".into());
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Metric"</th>
                        <th scope="col" class="num">"Readings"</th>
                        <th scope="col" class="num">"Min"</th>
                        <th scope="col" class="num">"Mean"</th>
                        <th scope="col" class="num">"Max"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td>{r.metric.label()} " (" {r.metric.unit()} ")"</td>
                                    <td class="num">{r.count}</td>
                                    <td class="num">{fmt(r.metric, r.min)}</td>
                                    <td class="num">{fmt(r.metric, r.mean)}</td>
                                    <td class="num">{fmt(r.metric, r.max)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

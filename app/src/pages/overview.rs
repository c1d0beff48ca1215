//! `/enhanced-overview`: the network at a glance — system health gauges, the schematic map
//! of every node coloured and shaped by status, the districts side by side, and their
//! pressure, water loss and night flow day by day (`NetworkPerformanceAnalytics`). The period
//! is kept in the URL as on the dashboard.

mod demand;

use crate::components::echart::EChart;
use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::pages::dashboard::period::{url_period, RangePicker};
use crate::server_fns::dashboard::get_overview;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::overview::{DistrictStatus, NetworkOverview, NodeStatus, OverviewView, SystemHealth};
use shared::Metric;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let period = url_period();
    let query = leptos_router::hooks::use_query_map();
    let data = crate::resource::resource(
        move || (period(), query.read().get("map")),
        |(q, map)| async move {
            let q = q?;
            get_overview(q.range, q.from, q.to, map).await
        },
    );
    let district = RwSignal::new(None::<i64>);
    let demand = demand::demand_resource(district);
    view! {
        <Title text="Network overview" />
        <div class="page-head">
            <h1>"Network map and districts"</h1>
        </div>
        <section class="card period" aria-label="Period">
            <RangePicker base="/enhanced-overview" />
        </section>
        <Transition fallback=|| view! { <p class="loading">"Loading the network…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <OverviewBody view district demand /> }.into_any(),
                    Err(error) => view! { <ErrorBox error retry=move |_| data.refetch() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OverviewBody(
    view: OverviewView,
    district: RwSignal<Option<i64>>,
    demand: demand::DemandResource,
) -> impl IntoView {
    let OverviewView {
        overview,
        map_svg,
        pressure_option,
        nrw_option,
        mnf_option,
    } = view;
    let counts: Vec<(NodeStatus, usize)> = NodeStatus::ALL
        .into_iter()
        .map(|s| (s, overview.count(s)))
        .collect();
    let period = format!(
        "Daily figures from {} to {} ({}); updated {}.",
        when(overview.from),
        when(overview.to),
        overview.time_zone,
        when(overview.generated_at)
    );
    let NetworkOverview {
        nodes,
        districts,
        days,
        health,
        ..
    } = overview;
    let demand_districts: Vec<(i64, String)> =
        districts.iter().map(|d| (d.id, d.name.clone())).collect();
    let unplaced = nodes
        .iter()
        .filter(|n| n.lat.is_none() || n.lon.is_none())
        .count();
    view! {
        <p class="muted updated" data-testid="overview-period">{period}</p>
        <SystemHealthGauges health />
        <section class="card" aria-labelledby="map-head">
            <h2 id="map-head">"Network map"</h2>
            <MapLegend counts />
            {if map_svg.is_empty() {
                view! {
                    <p class="empty" data-testid="map-empty">
                        "No node has coordinates yet. Send a nodes CSV with lat and lon columns (POST /api/v1/nodes, or the server's import command) to draw the map."
                    </p>
                }
                .into_any()
            } else {
                view! { <div class="map-box" data-testid="network-map" inner_html=map_svg></div> }.into_any()
            }}
            {(unplaced > 0)
                .then(|| {
                    view! {
                        <p class="muted" data-testid="map-unplaced">
                            {format!("{unplaced} node(s) without coordinates are not drawn.")}
                        </p>
                    }
                })}
        </section>
        <DistrictBreakdown districts />
        <demand::DistrictDemand districts=demand_districts chosen=district chart=demand />
        <section class="card" aria-labelledby="perf-head" data-testid="network-performance">
            <h2 id="perf-head">"Network performance by district"</h2>
            {if days.is_empty() {
                view! {
                    <p class="empty" data-testid="performance-empty">
                        "No daily figures in this period yet: the efficiency job computes each district's day every 5 minutes from the stored flows and pressures."
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <div class="charts-row">
                        <PerformanceChart caption="Mean pressure per day" label="Mean pressure per district and day" option=pressure_option />
                        <PerformanceChart caption="Non-revenue water per day" label="Non-revenue water per district and day" option=nrw_option />
                        <PerformanceChart caption="Minimum night flow (02:00–04:00)" label="Minimum night flow per district and day" option=mnf_option />
                    </div>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn PerformanceChart(caption: &'static str, label: &'static str, option: String) -> impl IntoView {
    view! {
        <figure>
            <figcaption>{caption}</figcaption>
            <EChart option label=label.to_owned()>
                <p class="muted">"The chart draws once the page has loaded."</p>
            </EChart>
        </figure>
    }
}

/// good / warn / bad, for a share where higher is better.
fn grade(share: f64, good: f64, warn: f64) -> &'static str {
    if share >= good {
        "good"
    } else if share >= warn {
        "warn"
    } else {
        "bad"
    }
}

fn grade_word(grade: &str) -> &'static str {
    match grade {
        "good" => "OK",
        "warn" => "Attention",
        "bad" => "Action needed",
        _ => "No data",
    }
}

/// A half-circle gauge filled to `share` (0–1), with the figure and its grade in words.
#[component]
fn Gauge(
    label: &'static str,
    share: Option<f64>,
    value: String,
    detail: String,
    grade: &'static str,
    testid: &'static str,
) -> impl IntoView {
    let f = share.unwrap_or(0.0).clamp(0.0, 1.0);
    // The fill is the track's own arc, dashed to the share of its length (`pathLength`):
    // no trigonometry, so the wasm carries no sine or cosine.
    let dash = format!("{:.1} 100", 100.0 * f);
    view! {
        <div class=format!("gauge {grade}") data-testid=testid role="group" aria-label=label>
            <svg viewBox="0 0 120 68" aria-hidden="true">
                <path class="gauge-track" d="M 12 60 A 48 48 0 0 1 108 60" />
                {(f > 0.0).then(|| view! {
                    <path class="gauge-fill" d="M 12 60 A 48 48 0 0 1 108 60" pathLength="100" stroke-dasharray=dash />
                })}
            </svg>
            <span class="gauge-value" data-testid=format!("{testid}-value")>{value}</span>
            <span class="gauge-label">{label}</span>
            <span class="gauge-grade">{grade_word(grade)}</span>
            <span class="gauge-detail muted">{detail}</span>
        </div>
    }
}

#[component]
fn SystemHealthGauges(health: SystemHealth) -> impl IntoView {
    let completeness = match health.completeness {
        Some(c) => view! {
            <Gauge
                label="Data completeness"
                share=Some(c)
                value=format!("{:.1} %", 100.0 * c)
                detail=health.quality_day.map(|d| format!("Data quality report of {d}")).unwrap_or_default()
                grade=grade(c, 0.95, 0.8)
                testid="gauge-completeness"
            />
        }
        .into_any(),
        None => view! {
            <Gauge label="Data completeness" share=None value="—".into() detail="No data quality report yet (the job runs daily).".into() grade="none" testid="gauge-completeness" />
        }
        .into_any(),
    };
    let online_share = (health.sensors_total > 0)
        .then(|| health.sensors_online as f64 / health.sensors_total as f64);
    let clear_share = if health.open_incidents == 0 {
        1.0
    } else {
        1.0 - health.open_critical as f64 / health.open_incidents as f64
    };
    let incident_grade = if health.open_critical > 0 {
        "bad"
    } else if health.open_incidents > 0 {
        "warn"
    } else {
        "good"
    };
    let jobs_share =
        (health.jobs_total > 0).then(|| health.jobs_healthy as f64 / health.jobs_total as f64);
    let jobs_detail = if health.failing_jobs.is_empty() {
        "Newest run of every job succeeded.".to_owned()
    } else {
        format!("Failing: {}", health.failing_jobs.join(", "))
    };
    view! {
        <section class="gauges" aria-label="System health" data-testid="health-gauges">
            {completeness}
            <Gauge
                label="Sensors online"
                share=online_share
                value=format!("{} / {}", health.sensors_online, health.sensors_total)
                detail="Reported within their stale limit.".into()
                grade=online_share.map_or("none", |s| grade(s, 0.95, 0.8))
                testid="gauge-online"
            />
            <Gauge
                label="Critical incidents"
                share=Some(clear_share)
                value=health.open_critical.to_string()
                detail=format!("{} unresolved in all", health.open_incidents)
                grade=incident_grade
                testid="gauge-critical"
            />
            <Gauge
                label="Job health"
                share=jobs_share
                value=format!("{} / {}", health.jobs_healthy, health.jobs_total)
                detail=if health.jobs_total == 0 { "No job has run for this tenant yet.".into() } else { jobs_detail }
                grade=jobs_share.map_or("none", |s| if s >= 1.0 { "good" } else { grade(s, 1.0, 0.5) })
                testid="gauge-jobs"
            />
        </section>
    }
}

/// Each status's marker and how many nodes have it.
#[component]
fn MapLegend(counts: Vec<(NodeStatus, usize)>) -> impl IntoView {
    view! {
        <ul class="map-legend" data-testid="map-legend">
            {counts
                .into_iter()
                .map(|(s, n)| {
                    view! {
                        <li data-status=s.as_str()>
                            <span class=format!("legend-mark status-{}", s.as_str()) aria-hidden="true"></span>
                            {format!("{} ({n})", s.label())}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "—".into())
}

#[component]
fn DistrictBreakdown(districts: Vec<DistrictStatus>) -> impl IntoView {
    if districts.is_empty() {
        return view! {
            <section class="card">
                <h2>"Districts"</h2>
                <p class="empty">"No node is assigned to a district. Give nodes a district in the nodes CSV to compare districts."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card" aria-labelledby="districts-head">
            <h2 id="districts-head">"Districts"</h2>
            <div class="table-wrap">
                <table class="data" data-testid="district-table">
                    <thead>
                        <tr>
                            <th scope="col">"District"</th>
                            <th scope="col">"Nodes online"</th>
                            <th scope="col">"Inflow now"</th>
                            <th scope="col">"Pressure now"</th>
                            <th scope="col">"Non-revenue water"</th>
                            <th scope="col">"Night flow (MNF)"</th>
                            <th scope="col">"ILI"</th>
                            <th scope="col">"Open incidents"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {districts
                            .into_iter()
                            .map(|d| {
                                let day = d.day.map(|t| format!("Day starting {}", when(t))).unwrap_or_else(|| "No efficiency figures yet".into());
                                view! {
                                    <tr data-district=d.name.clone()>
                                        <th scope="row">{d.name.clone()}</th>
                                        <td class="num">{format!("{} / {}", d.online, d.nodes)}</td>
                                        <td class="num">{opt(d.inflow_lps, |v| Metric::FlowRate.format(v))}</td>
                                        <td class="num">{opt(d.pressure_bar, |v| Metric::Pressure.format(v))}</td>
                                        <td class="num" title=day.clone()>{opt(d.nrw_pct, |v| format!("{v:.1} %"))}</td>
                                        <td class="num" title=day.clone()>{opt(d.mnf_lps, |v| Metric::FlowRate.format(v))}</td>
                                        <td class="num" title=day>{opt(d.ili, |v| format!("{v:.2}"))}</td>
                                        <td class="num">
                                            {if d.open_incidents > 0 {
                                                view! { <a href="/anomalies" title="Open the incident list">{d.open_incidents}</a> }.into_any()
                                            } else {
                                                view! { <span>"0"</span> }.into_any()
                                            }}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

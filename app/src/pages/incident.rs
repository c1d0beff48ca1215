//! `/anomalies/{id}`: one incident — what the detector saw, its lifecycle, and a chart of each
//! affected sensor around the event (a day before it to six hours after, the incident shaded),
//! with what the sensor usually reads at that time beside what it read.

use crate::components::echart::EChart;
use crate::components::error_box::ErrorBox;
use crate::components::series_chart::SeriesFallback;
use crate::components::when;
use crate::server_fns::anomalies::{get_incident, ActOnIncident};
use crate::server_fns::auth::current_user;
use crate::server_fns::series::get_node_chart;
use chrono::Duration;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use shared::anomaly::{AffectedSensor, Incident, IncidentAction, IncidentStatus};
use shared::series::{NodeChart, SeriesQuery};
use shared::{AppError, Metric, Role};

/// Sensors charted (the most affected first).
const MAX_CHARTS: usize = 6;

/// The incident and, for each affected sensor that still exists, its chart around the event.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct IncidentData {
    incident: Incident,
    charts: Vec<(AffectedSensor, Result<NodeChart, AppError>)>,
}

async fn load(id: i64) -> Result<IncidentData, AppError> {
    let incident = get_incident(id).await?;
    let from = incident.started_at - Duration::hours(24);
    let to = incident.ended_at.unwrap_or(incident.last_seen_at) + Duration::hours(6);
    let mut charts = Vec::new();
    for sensor in incident.affected.iter().take(MAX_CHARTS) {
        let (Some(node_id), Ok(metric)) = (sensor.node_id, sensor.metric.parse::<Metric>()) else {
            continue;
        };
        let chart = get_node_chart(
            SeriesQuery {
                node_id,
                metric,
                from,
                to,
                max_points: Some(400),
            },
            0,
        )
        .await;
        charts.push((sensor.clone(), chart));
    }
    Ok(IncidentData { incident, charts })
}

#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let act = ServerAction::<ActOnIncident>::new();
    let user = crate::resource::resource(|| (), |_| current_user());
    let data = crate::resource::resource(
        move || {
            let id = params.read().get("id").and_then(|v| v.parse::<i64>().ok());
            (id, act.version().get())
        },
        |(id, _)| async move {
            match id {
                Some(id) => load(id).await,
                None => Err(AppError::not_found("incident")),
            }
        },
    );
    view! {
        <Title text="Incident" />
        <Transition fallback=|| view! { <p class="loading">"Loading the incident…"</p> }>
            {move || Suspend::new(async move {
                let can_act = matches!(user.await, Ok(Some(s)) if s.user.role.at_least(Role::Operator));
                match data.await {
                    Ok(d) => view! { <IncidentView data=d can_act act /> }.into_any(),
                    Err(error) => view! { <ErrorBox error retry=move |_| data.refetch() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn IncidentView(
    data: IncidentData,
    can_act: bool,
    act: ServerAction<ActOnIncident>,
) -> impl IntoView {
    let IncidentData {
        incident: i,
        charts,
    } = data;
    let title = format!("#{} {}", i.id, i.kind.label());
    let fault = i.kind.is_fault();
    let lifecycle = [
        Some(format!("started {}", when(i.started_at))),
        Some(format!("detected {}", when(i.detected_at))),
        i.acknowledged_at.map(|t| {
            format!(
                "acknowledged {} by {}",
                when(t),
                i.acknowledged_by.clone().unwrap_or_default()
            )
        }),
        i.resolved_at.map(|t| {
            format!(
                "resolved {} by {}",
                when(t),
                i.resolved_by.clone().unwrap_or_default()
            )
        }),
        Some(match i.ended_at {
            Some(t) => format!("ended {}", when(t)),
            None => format!("still seen {}", when(i.last_seen_at)),
        }),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <Title text=title.clone() />
        <div class="page-head">
            <h1 data-testid="incident-title">{title}</h1>
            <p class="muted">
                <span class=format!("badge sev-{}", i.severity.as_str())>{i.severity.as_str()}</span>
                " " {i.status.as_str()} " · " {i.district.clone().unwrap_or_else(|| "no district".into())}
                " · score " {format!("{:.1}", i.score)}
            </p>
        </div>
        <section class="card">
            <p data-testid="incident-explanation">{i.explanation.clone()}</p>
            <p class="muted" data-testid="incident-lifecycle">{lifecycle}</p>
            {i.comment.clone().map(|c| view! { <p data-testid="incident-comment">"Comment: " {c}</p> })}
            {(can_act && i.status != IncidentStatus::Resolved).then(|| view! { <Actions id=i.id open=i.status == IncidentStatus::Open act /> })}
            <p><a href="/anomalies">"← All incidents"</a></p>
        </section>
        {if charts.is_empty() {
            view! { <p class="empty">"No affected sensor to chart (its node was removed)."</p> }.into_any()
        } else {
            charts
                .into_iter()
                .map(|(sensor, chart)| view! { <SensorChart sensor chart fault /> })
                .collect_view()
                .into_any()
        }}
    }
}

#[component]
fn SensorChart(
    sensor: AffectedSensor,
    chart: Result<NodeChart, AppError>,
    /// A sensor fault: the sensor has no deviation score, nor an expected value.
    fault: bool,
) -> impl IntoView {
    let fmt = |v: Option<f64>| v.map_or_else(|| "—".into(), |v| format!("{v:.3}"));
    let metric = sensor
        .metric
        .parse::<Metric>()
        .map_or_else(|_| sensor.metric.clone(), |m| m.label().to_owned());
    let heading = if fault {
        format!("{} · {metric}", sensor.external_id)
    } else {
        format!(
            "{} · {metric} (score {:+.1})",
            sensor.external_id, sensor.score
        )
    };
    let note = match sensor.expected {
        Some(_) => format!(
            "Usually {} at that time of day; read {}. Affected since {}.",
            fmt(sensor.expected),
            fmt(sensor.actual),
            when(sensor.since)
        ),
        None => format!(
            "Read {}. Affected since {}.",
            fmt(sensor.actual),
            when(sensor.since)
        ),
    };
    let body = match chart {
        Ok(c) => {
            let label = format!(
                "{} of {} around the incident, {} points, the incident shaded",
                c.series.metric.label(),
                sensor.external_id,
                c.series.points.len()
            );
            let node = c.series.node_id;
            let metric = c.series.metric;
            let now = c.series.points.last().map_or(c.series.to, |p| p.ts);
            view! {
                <EChart option=c.option label=label.clone()>
                    <SeriesFallback metric history=c.series.points forecast=Vec::new() now label />
                </EChart>
                <p><a href=format!("/nodes/{node}?metric={}&range=7d", c.series.metric.as_str())>"Open the node"</a></p>
            }
            .into_any()
        }
        Err(e) => view! { <p class="error">{format!("No chart: {e}")}</p> }.into_any(),
    };
    view! {
        <section class="card" data-testid="incident-sensor">
            <h2>{heading}</h2>
            <p class="muted">{note}</p>
            {body}
        </section>
    }
}

/// Acknowledge or resolve with a comment (operators and admins; others never see it, and the
/// server refuses them anyway).
#[component]
fn Actions(id: i64, open: bool, act: ServerAction<ActOnIncident>) -> impl IntoView {
    let (comment, set_comment) = signal(String::new());
    let send = move |action: IncidentAction| {
        let text = comment.get_untracked();
        act.dispatch(ActOnIncident {
            id,
            action,
            comment: (!text.trim().is_empty()).then_some(text),
        });
    };
    let error = move || match act.value().get() {
        Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.to_string()}</p> }),
        _ => None,
    };
    view! {
        <div class="incident-actions" data-testid="incident-actions">
            <label for="incident-comment">"Comment (optional)"</label>
            <textarea
                id="incident-comment"
                rows="2"
                maxlength="2000"
                prop:value=comment
                on:input=move |ev| set_comment.set(event_target_value(&ev))
            ></textarea>
            <div class="actions">
                <Show when=move || open>
                    <button class="btn" disabled=move || act.pending().get() on:click=move |_| send(IncidentAction::Acknowledge)>
                        "Acknowledge"
                    </button>
                </Show>
                <button class="btn" disabled=move || act.pending().get() on:click=move |_| send(IncidentAction::Resolve)>
                    "Resolve"
                </button>
            </div>
            {error}
        </div>
    }
}

//! `/anomalies`: the detector's incidents — leaks, pressure and night-flow anomalies, sensor
//! faults — with filters, the affected sensors ranked, and acknowledge / resolve for operators.

use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::anomalies::{list_incidents, ActOnIncident};
use crate::server_fns::auth::current_user;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::anomaly::{AnomalyKind, Incident, IncidentAction, IncidentFilter, IncidentStatus};
use shared::Role;

#[component]
pub fn AnomaliesPage() -> impl IntoView {
    let (status, set_status) = signal(Some(IncidentStatus::Open));
    let (kind, set_kind) = signal(None::<AnomalyKind>);
    let act = ServerAction::<ActOnIncident>::new();
    let incidents = crate::resource::resource(
        move || (status.get(), kind.get(), act.version().get()),
        |(status, kind, _)| {
            list_incidents(IncidentFilter {
                status,
                kind,
                limit: Some(200),
                ..Default::default()
            })
        },
    );
    let user = crate::resource::resource(|| (), |_| current_user());
    view! {
        <Title text="Anomalies" />
        <div class="page-head">
            <h1>"Incidents"</h1>
        </div>
        <section class="card" aria-labelledby="filters-title">
            <h2 id="filters-title" class="sr-only">"Filters"</h2>
            <div class="form-row">
                <label>
                    "Status "
                    <select data-testid="status-filter" on:change=move |ev| set_status.set(IncidentStatus::parse(&event_target_value(&ev)))>
                        <option value="open" selected=true>"Open"</option>
                        <option value="acknowledged">"Acknowledged"</option>
                        <option value="resolved">"Resolved"</option>
                        <option value="">"All"</option>
                    </select>
                </label>
                <label>
                    "Kind "
                    <select data-testid="kind-filter" on:change=move |ev| set_kind.set(AnomalyKind::parse(&event_target_value(&ev)))>
                        <option value="">"All"</option>
                        {AnomalyKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            {move || act.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            <a
                class="btn"
                data-testid="export-csv"
                download="incidents.csv"
                href=move || {
                    format!(
                        "/api/v1/anomalies?format=csv&limit=1000&status={}&kind={}",
                        status.get().map(|s| s.as_str()).unwrap_or_default(),
                        kind.get().map(|k| k.as_str()).unwrap_or_default(),
                    )
                }
            >
                "Export CSV"
            </a>
        </section>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_act = matches!(user.await, Ok(Some(s)) if s.user.role.at_least(Role::Operator));
                match incidents.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty" data-testid="no-incidents">
                            "No incidents match. The detector runs every 15 minutes over the newest readings; leaks, pressure anomalies and sensor faults appear here."
                        </p>
                    }.into_any(),
                    Ok(list) => view! { <IncidentTable list can_act act /> }.into_any(),
                    Err(error) => view! { <ErrorBox error retry=move |_| incidents.refetch() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn IncidentTable(
    list: Vec<Incident>,
    can_act: bool,
    act: ServerAction<ActOnIncident>,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|i| {
            let id = i.id;
            let fault = i.kind.is_fault();
            let sensors = i
                .affected
                .iter()
                .take(3)
                .map(|a| if fault { a.external_id.clone() } else { format!("{} ({:+.1}σ)", a.external_id, a.score) })
                .collect::<Vec<_>>()
                .join(", ");
            let open = i.status == IncidentStatus::Open;
            let resolvable = i.status != IncidentStatus::Resolved;
            view! {
                <tr data-testid="incident-row" id=format!("incident-{id}")>
                    <td><span class=format!("badge sev-{}", i.severity.as_str())>{i.severity.as_str()}</span></td>
                    <td><a href=format!("/anomalies/{id}") data-testid="incident-link">{i.kind.label()}</a></td>
                    <td>{i.district.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>{sensors}</td>
                    <td>{when(i.detected_at)}</td>
                    <td>{i.status.as_str()}</td>
                    <td class="explanation">{i.explanation.clone()}</td>
                    <td>
                        <Show when=move || can_act && open>
                            <button class="btn btn-ghost" on:click=move |_| {
                                act.dispatch(ActOnIncident { id, action: IncidentAction::Acknowledge, comment: None });
                            }>"Acknowledge"</button>
                        </Show>
                        <Show when=move || can_act && resolvable>
                            <button class="btn btn-ghost" on:click=move |_| {
                                act.dispatch(ActOnIncident { id, action: IncidentAction::Resolve, comment: None });
                            }>"Resolve"</button>
                        </Show>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table data-testid="incidents">
                <thead>
                    <tr>
                        <th>"Severity"</th><th>"Kind"</th><th>"District"</th><th>"Sensors"</th>
                        <th>"Detected"</th><th>"Status"</th><th>"What the detector saw"</th><th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

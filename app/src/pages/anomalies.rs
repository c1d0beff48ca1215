//! `/anomalies`: the detector's incidents — leaks, pressure and night-flow anomalies, sensor
//! faults — with filters, the affected sensors ranked, and acknowledge / resolve for operators.

use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::anomalies::{list_incidents, ActOnIncident};
use crate::server_fns::auth::current_user;
use crate::server_fns::dashboard::list_districts;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::anomaly::{
    AnomalyKind, Incident, IncidentAction, IncidentFilter, IncidentStatus, Severity,
};
use shared::validate::encode_query_value;
use shared::Role;

/// The time windows of the list: label, and how far back from now (`None`: any time).
const WINDOWS: [(&str, Option<i64>); 4] = [
    ("Any time", None),
    ("Last 24 hours", Some(24)),
    ("Last 7 days", Some(7 * 24)),
    ("Last 30 days", Some(30 * 24)),
];

/// The filters as they stand (the window turned into a start time now).
fn filter_of(
    status: Option<IncidentStatus>,
    kind: Option<AnomalyKind>,
    severity: Option<Severity>,
    district: Option<String>,
    hours: Option<i64>,
) -> IncidentFilter {
    IncidentFilter {
        status,
        kind,
        severity,
        district,
        from: hours.map(|h| chrono::Utc::now() - chrono::Duration::hours(h)),
        limit: Some(200),
        ..Default::default()
    }
}

/// The CSV download of the list the filters give.
fn csv_link(f: &IncidentFilter) -> String {
    let mut url = format!(
        "/api/v1/anomalies?format=csv&limit=1000&status={}&kind={}&severity={}",
        f.status.map(|s| s.as_str()).unwrap_or_default(),
        f.kind.map(|k| k.as_str()).unwrap_or_default(),
        f.severity.map(|s| s.as_str()).unwrap_or_default(),
    );
    if let Some(d) = &f.district {
        url.push_str(&format!("&district={}", encode_query_value(d)));
    }
    if let Some(from) = f.from {
        url.push_str(&format!(
            "&from={}",
            encode_query_value(&shared::clock::rfc3339(from))
        ));
    }
    url
}

#[component]
pub fn AnomaliesPage() -> impl IntoView {
    let (status, set_status) = signal(Some(IncidentStatus::Open));
    let (kind, set_kind) = signal(None::<AnomalyKind>);
    let (severity, set_severity) = signal(None::<Severity>);
    let (district, set_district) = signal(None::<String>);
    let (window, set_window) = signal(None::<i64>);
    let act = ServerAction::<ActOnIncident>::new();
    let filters = move || {
        filter_of(
            status.get(),
            kind.get(),
            severity.get(),
            district.get(),
            window.get(),
        )
    };
    let incidents = crate::resource::resource(
        move || {
            (
                status.get(),
                kind.get(),
                severity.get(),
                district.get(),
                window.get(),
                act.version().get(),
            )
        },
        |(status, kind, severity, district, window, _)| {
            list_incidents(filter_of(status, kind, severity, district, window))
        },
    );
    let user = crate::resource::resource(|| (), |_| current_user());
    // The districts to filter by: those of the tenant's nodes.
    let districts = crate::resource::resource(|| (), |_| list_districts());
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
                <label>
                    "Severity "
                    <select data-testid="severity-filter" on:change=move |ev| set_severity.set(Severity::parse(&event_target_value(&ev)))>
                        <option value="">"All"</option>
                        {[Severity::Critical, Severity::Warning, Severity::Info].into_iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    "District "
                    <Transition fallback=|| view! { <select disabled=true><option>"All"</option></select> }>
                        {move || Suspend::new(async move {
                            let names = districts.await.unwrap_or_default();
                            view! {
                                <select data-testid="district-filter" on:change=move |ev| {
                                    let name = event_target_value(&ev);
                                    set_district.set((!name.is_empty()).then_some(name));
                                }>
                                    <option value="">"All"</option>
                                    {names.into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                                </select>
                            }
                        })}
                    </Transition>
                </label>
                <label>
                    "Detected "
                    <select data-testid="window-filter" on:change=move |ev| {
                        let label = event_target_value(&ev);
                        set_window.set(WINDOWS.iter().find(|w| w.0 == label).and_then(|w| w.1));
                    }>
                        {WINDOWS.into_iter().map(|(label, _)| view! { <option value=label>{label}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            {move || act.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            <a
                class="btn"
                data-testid="export-csv"
                download="incidents.csv"
                href=move || csv_link(&filters())
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

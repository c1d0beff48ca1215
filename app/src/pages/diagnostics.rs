//! `/test`: diagnostics for administrators — versions, whether the database, cache, session
//! store, live events, warehouse and scheduler answer, and whether this page hydrated.

use crate::components::error_box::ErrorBox;
use crate::server_fns::diagnostics::get_diagnostics;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::diagnostics::{CheckStatus, Diagnostics};

#[component]
pub fn DiagnosticsPage() -> impl IntoView {
    let report = crate::resource::resource(|| (), |_| get_diagnostics());
    // Effects run only in the browser, once the page has hydrated.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! {
        <Title text="Diagnostics" />
        <div class="page-head">
            <h1>"Diagnostics"</h1>
            <button class="btn" data-testid="recheck" on:click=move |_| report.refetch()>
                "Check again"
            </button>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Checking…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(d) => view! { <Report report=d hydrated /> }.into_any(),
                    Err(error) => view! { <ErrorBox error retry=move |_| report.refetch() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Report(report: Diagnostics, hydrated: ReadSignal<bool>) -> impl IntoView {
    view! {
        <p class="muted">
            "Server version " <span data-testid="version">{report.version.clone()}</span> " · checked "
            {shared::clock::utc_second(report.checked_at)}
        </p>
        <section class="card">
            <div class="table-wrap">
                <table data-testid="diagnostics">
                    <thead>
                        <tr>
                            <th scope="col">"Part"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Details"</th>
                            <th scope="col" class="num">"Round trip"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {report
                            .checks
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <tr data-check=c.name.clone() data-status=c.status.as_str()>
                                        <td>{c.name.clone()}</td>
                                        <td>
                                            <span class=format!("badge status-{}", c.status.as_str())>{c.status.label()}</span>
                                        </td>
                                        <td>{c.detail.clone()}</td>
                                        <td class="num">
                                            {c.latency_ms.map(|ms| format!("{ms:.1} ms")).unwrap_or_else(|| "—".into())}
                                        </td>
                                    </tr>
                                }
                                .into_any()
                            })
                            .collect_view()}
                        <HydrationRow hydrated />
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

/// The browser's own check: set once the WebAssembly app has hydrated the page.
#[component]
fn HydrationRow(hydrated: ReadSignal<bool>) -> impl IntoView {
    view! {
        <tr data-check="browser" data-status=move || if hydrated.get() { "ok" } else { "failed" }>
            <td>"browser"</td>
            <td>
                {move || {
                    let status = if hydrated.get() { CheckStatus::Ok } else { CheckStatus::Failed };
                    view! { <span class=format!("badge status-{}", status.as_str())>{status.label()}</span> }
                }}
            </td>
            <td data-testid="hydration">
                {move || {
                    if hydrated.get() {
                        "the page hydrated: the WebAssembly app runs in this browser"
                    } else {
                        "not hydrated (yet): the page is server-rendered HTML only"
                    }
                }}
            </td>
            <td class="num">"—"</td>
        </tr>
    }
    .into_any()
}

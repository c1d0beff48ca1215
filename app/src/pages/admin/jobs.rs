//! `/admin/jobs`: the background jobs, their schedules and last runs, with "run now".

use super::{error_line, AdminFrame};
use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::admin::{list_jobs, RunJob};
use leptos::prelude::*;
use shared::jobs::JobInfo;

#[component]
pub fn JobsPage() -> impl IntoView {
    view! {
        <AdminFrame path="/admin/jobs">
            <JobsCard />
        </AdminFrame>
    }
}

#[component]
fn JobsCard() -> impl IntoView {
    let run = ServerAction::<RunJob>::new();
    let jobs = crate::resource::resource(move || run.version().get(), |_| list_jobs());
    view! {
        <section class="card admin-wide" aria-labelledby="jobs-title">
            <div class="page-head">
                <h2 id="jobs-title">"Background jobs"</h2>
                <button class="btn" on:click=move |_| jobs.refetch()>"Refresh"</button>
            </div>
            {error_line(move || run.value().get().and_then(Result::err))}
            <Transition fallback=|| view! { <p class="loading">"Loading jobs…"</p> }>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Ok(list) => view! { <JobTable list run /> }.into_any(),
                        Err(error) => view! { <ErrorBox error retry=move |_| jobs.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn JobTable(list: Vec<JobInfo>, run: ServerAction<RunJob>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|job| {
            let name = job.name.clone();
            let last = job.runs.first().cloned();
            let status = last.as_ref().map_or("no run yet".to_owned(), |r| r.status.clone());
            let class = format!("status status-{status}");
            let detail = last.as_ref().map_or(String::new(), |r| {
                let took = r
                    .duration_ms
                    .map_or("running".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
                format!(
                    "{} · {} · {} rows · {}",
                    when(r.started_at),
                    took,
                    r.rows_processed,
                    r.error.clone().or(r.detail.clone()).unwrap_or_default()
                )
            });
            let per_tenant = job.per_tenant;
            view! {
                <tr data-testid="job-row">
                    <td><strong>{job.name.clone()}</strong><br /><small class="muted">{job.description.clone()}</small></td>
                    <td><code>{job.schedule.clone().unwrap_or_else(|| "off".into())}</code></td>
                    <td><span class=class>{status}</span></td>
                    <td class="detail">{detail}</td>
                    <td>
                        <Show when=move || per_tenant fallback=|| view! { <small class="muted">"system"</small> }>
                            {
                                let name = name.clone();
                                view! {
                                    <button class="btn" on:click=move |_| {
                                        run.dispatch(RunJob { name: name.clone() });
                                    }>"Run now"</button>
                                }
                            }
                        </Show>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table data-testid="jobs">
                <thead>
                    <tr><th>"Job"</th><th>"Schedule (UTC)"</th><th>"Last run"</th><th>"Details"</th><th></th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

//! `/admin/audit`: the tenant's audit log — sign-ins, role changes, keys, acknowledgements.

use super::AdminFrame;
use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::admin::read_audit_log;
use leptos::prelude::*;
use shared::auth::AuditEntry;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <AdminFrame path="/admin/audit">
            <AuditCard />
        </AdminFrame>
    }
}

#[component]
fn AuditCard() -> impl IntoView {
    let log = crate::resource::resource(|| (), |_| read_audit_log());
    view! {
        <section class="card admin-wide" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading the log…"</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(entries) => view! { <AuditTable entries /> }.into_any(),
                        Err(error) => view! { <ErrorBox error retry=move |_| log.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    let rows = entries
        .into_iter()
        .map(|e| {
            view! {
                <tr>
                    <td>{when(e.at)}</td>
                    <td>{e.actor}</td>
                    <td>{e.action}</td>
                    <td>{e.target.unwrap_or_default()}</td>
                    <td>{e.ip.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table data-testid="audit">
                <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"From"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

//! `/admin`: a tenant admin's page — members and their roles, invitations, API keys, the
//! background jobs with a "run now" button, and the audit log. Every action is checked again
//! on the server; people who are not admins see why the page is empty.

use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::admin::{
    list_api_keys, list_jobs, list_members, read_audit_log, CreateApiKey, CreateInvitation,
    RemoveMember, RevokeApiKey, RunJob, SetMemberRole,
};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::auth::{ApiKeyScope, AuditEntry, Member};
use shared::jobs::JobInfo;
use shared::{AppError, Role};

/// The failure of an action's last run, if it failed.
fn error_line(error: impl Fn() -> Option<AppError> + Send + Sync + 'static) -> impl IntoView {
    move || error().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
}

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Administration" />
        <div class="page-head">
            <h1>"Administration"</h1>
        </div>
        <div class="admin-grid">
            <MembersCard />
            <InvitationCard />
            <ApiKeysCard />
            <JobsCard />
            <AuditCard />
        </div>
    }
}

#[component]
fn MembersCard() -> impl IntoView {
    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let members = crate::resource::resource(
        move || (set_role.version().get(), remove.version().get()),
        |_| list_members(),
    );
    view! {
        <section class="card admin-wide" aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            {error_line(move || set_role.value().get().and_then(Result::err))}
            {error_line(move || remove.value().get().and_then(Result::err))}
            <Transition fallback=|| view! { <p class="loading">"Loading members…"</p> }>
                {move || Suspend::new(async move {
                    match members.await {
                        Ok(list) => view! { <MemberTable list set_role remove /> }.into_any(),
                        Err(error) => view! { <ErrorBox error retry=move |_| members.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn MemberTable(
    list: Vec<Member>,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|m| {
            let user_id = m.user_id;
            let current = m.role;
            let label = format!("Role of {}", m.email);
            view! {
                <tr data-testid="member-row">
                    <td>{m.display_name.clone()}</td>
                    <td>{m.email.clone()}</td>
                    <td>
                        <select
                            aria-label=label
                            on:change=move |ev| {
                                if let Ok(role) = event_target_value(&ev).parse::<Role>() {
                                    set_role.dispatch(SetMemberRole { user_id, role });
                                }
                            }
                        >
                            {[Role::Viewer, Role::Operator, Role::Admin]
                                .into_iter()
                                .map(|r| view! {
                                    <option value=r.as_str() selected=r == current>{r.as_str()}</option>
                                })
                                .collect_view()}
                        </select>
                    </td>
                    <td>{when(m.joined_at)}</td>
                    <td>
                        <button
                            class="btn btn-ghost"
                            on:click=move |_| {
                                remove.dispatch(RemoveMember { user_id });
                            }
                        >
                            "Remove"
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table data-testid="members">
                <thead>
                    <tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Joined"</th><th></th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn InvitationCard() -> impl IntoView {
    let invite = ServerAction::<CreateInvitation>::new();
    let (role, set_role) = signal(Role::Operator);
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite a colleague"</h2>
            <div class="form-row">
                <label>
                    "Role "
                    <select on:change=move |ev| {
                        if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                            set_role.set(r);
                        }
                    }>
                        <option value="viewer">"viewer"</option>
                        <option value="operator" selected=true>"operator"</option>
                        <option value="admin">"admin"</option>
                    </select>
                </label>
                <button
                    class="btn btn-primary"
                    data-testid="create-invitation"
                    disabled=move || invite.pending().get()
                    on:click=move |_| {
                        invite.dispatch(CreateInvitation { role: role.get_untracked() });
                    }
                >
                    "Create invitation"
                </button>
            </div>
            {move || match invite.value().get() {
                Some(Ok(created)) => view! {
                    <p class="secret" data-testid="invitation-code">
                        "Code for a new " {created.role.as_str()} ": " <code>{created.code.clone()}</code>
                        " — shown once, valid until " {when(created.expires_at)} ". The person "
                        "enters it on the registration page."
                    </p>
                }.into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

#[component]
fn ApiKeysCard() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = crate::resource::resource(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let (name, set_name) = signal(String::new());
    let (read, set_read) = signal(true);
    let (ingest, set_ingest) = signal(false);
    view! {
        <section class="card" aria-labelledby="keys-title">
            <h2 id="keys-title">"API keys"</h2>
            <div class="form-row">
                <label>
                    "Name "
                    <input
                        type="text"
                        maxlength="100"
                        prop:value=name
                        on:input=move |ev| set_name.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    <input type="checkbox" prop:checked=read on:change=move |ev| set_read.set(event_target_checked(&ev)) />
                    " read"
                </label>
                <label>
                    <input type="checkbox" prop:checked=ingest on:change=move |ev| set_ingest.set(event_target_checked(&ev)) />
                    " ingest"
                </label>
                <button
                    class="btn btn-primary"
                    disabled=move || create.pending().get()
                    on:click=move |_| {
                        create.dispatch(CreateApiKey {
                            name: name.get_untracked(),
                            read: read.get_untracked(),
                            ingest: ingest.get_untracked(),
                        });
                    }
                >
                    "Create key"
                </button>
            </div>
            {move || match create.value().get() {
                Some(Ok(created)) => view! {
                    <p class="secret" data-testid="api-key-secret">
                        "New key " <strong>{created.info.name.clone()}</strong> ": " <code>{created.key.clone()}</code>
                        " — copy it now, it is not shown again."
                    </p>
                }.into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
            {error_line(move || revoke.value().get().and_then(Result::err))}
            <Transition fallback=|| view! { <p class="loading">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No API keys yet. Integrators use them to read or send data."</p>
                        }.into_any(),
                        Ok(list) => {
                            let rows = list.into_iter().map(|k| {
                                let id = k.id;
                                let scopes = k.scopes.iter().map(|s| match s {
                                    ApiKeyScope::Read => "read",
                                    ApiKeyScope::Ingest => "ingest",
                                }).collect::<Vec<_>>().join(", ");
                                let status = match k.revoked_at {
                                    Some(at) => format!("revoked {}", when(at)),
                                    None => k.last_used_at.map_or("never used".into(), |at| format!("used {}", when(at))),
                                };
                                let active = k.revoked_at.is_none();
                                view! {
                                    <tr>
                                        <td>{k.name.clone()}</td>
                                        <td><code>{k.prefix.clone()} "…"</code></td>
                                        <td>{scopes}</td>
                                        <td>{status}</td>
                                        <td>
                                            <Show when=move || active>
                                                <button class="btn btn-ghost" on:click=move |_| {
                                                    revoke.dispatch(RevokeApiKey { id });
                                                }>"Revoke"</button>
                                            </Show>
                                        </td>
                                    </tr>
                                }
                            }).collect_view();
                            view! {
                                <div class="table-wrap">
                                    <table>
                                        <thead><tr><th>"Name"</th><th>"Key"</th><th>"Scopes"</th><th>"Status"</th><th></th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorBox error retry=move |_| keys.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
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

//! `/admin/keys`: API keys for integrators — created with their scopes, shown once, revoked.

use super::{error_line, AdminFrame};
use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::admin::{list_api_keys, CreateApiKey, RevokeApiKey};
use leptos::prelude::*;
use shared::auth::ApiKeyScope;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    view! {
        <AdminFrame path="/admin/keys">
            <ApiKeysCard />
        </AdminFrame>
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
        <section class="card admin-wide" aria-labelledby="keys-title">
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

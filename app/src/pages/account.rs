//! `/account`: the tenants the signed-in person belongs to, with their role in each, joining
//! another tenant with an invitation code its administrator gave them, and leaving one.

use crate::components::error_box::ErrorBox;
use crate::server_fns::auth::{list_tenants, JoinTenant, LeaveTenant};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;

#[component]
pub fn AccountPage() -> impl IntoView {
    let join = ServerAction::<JoinTenant>::new();
    let leave = ServerAction::<LeaveTenant>::new();
    // The tenant whose "Leave" was pressed, waiting for confirmation.
    let confirming = RwSignal::new(None::<i64>);
    // The list follows every successful join.
    let tenants = crate::resource::resource(move || join.version().get(), |_| list_tenants());
    // After leaving, the page reloads: the header's tenant (and the session's, when the left
    // tenant was the current one) changes with it.
    Effect::new(move |_| {
        if let Some(Ok(_)) = leave.value().get() {
            #[cfg(feature = "hydrate")]
            if let Err(e) = window().location().reload() {
                leptos::logging::error!("reload after leaving a tenant failed: {e:?}");
            }
        }
    });
    let left_error = move || match leave.value().get() {
        Some(Err(e)) => Some(match e {
            AppError::Conflict { message } => format!("You cannot leave: {message}."),
            other => other.to_string(),
        }),
        _ => None,
    };
    let outcome = move || {
        join.value().get().map(|r| match r {
            Ok(m) => Ok(format!(
                "You joined {} as {}. Choose it in the tenant switcher at the top to work there.",
                m.tenant.name,
                m.role.as_str()
            )),
            Err(AppError::Validation { message, .. }) => Err(format!("Invitation code {message}.")),
            Err(other) => Err(other.to_string()),
        })
    };
    view! {
        <Title text="Your tenants" />
        <div class="page-head">
            <h1>"Your tenants"</h1>
        </div>
        <section class="card">
            <h2>"Memberships"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading your tenants…"</p> }>
                {move || Suspend::new(async move {
                    match tenants.await {
                        Ok(list) => {
                            let several = list.len() > 1;
                            view! {
                            <div class="table-wrap">
                                <table data-testid="memberships">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Tenant"</th>
                                            <th scope="col">"Short name"</th>
                                            <th scope="col">"Your role"</th>
                                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|m| {
                                                let slug = m.tenant.slug;
                                                let row = slug.clone();
                                                let id = m.tenant.id;
                                                let name = m.tenant.name;
                                                view! {
                                                    <tr data-tenant=row>
                                                        <td>{name.clone()}</td>
                                                        <td class="mono">{slug}</td>
                                                        <td>{m.role.as_str()}</td>
                                                        <td>
                                                            {several.then(|| leave_control(id, name, leave, confirming))}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {move || left_error().map(|text| view! {
                                <p class="form-error" role="alert" data-testid="leave-result">{text}</p>
                            })}
                        }
                        .into_any()
                        }
                        Err(error) => view! { <ErrorBox error retry=move |_| tenants.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="card">
            <h2>"Join another tenant"</h2>
            <p class="muted">
                "An administrator of the other utility or district creates an invitation code on their "
                "administration page. Enter it here: you keep this account and get a role there too."
            </p>
            <ActionForm action=join attr:class="form inline-form" attr:aria-label="Join a tenant">
                <label for="join-code">"Invitation code"</label>
                <input id="join-code" name="code" required autocomplete="off" data-testid="join-code" />
                <button class="btn btn-primary" type="submit" disabled=move || join.pending().get()>
                    "Join"
                </button>
            </ActionForm>
            {move || match outcome() {
                Some(Ok(text)) => view! { <p class="form-ok" role="status" data-testid="join-result">{text}</p> }.into_any(),
                Some(Err(text)) => view! { <p class="form-error" role="alert" data-testid="join-result">{text}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

/// "Leave…" for one membership, then "Leave {name}" / "Cancel" once pressed.
fn leave_control(
    id: i64,
    name: String,
    leave: ServerAction<LeaveTenant>,
    confirming: RwSignal<Option<i64>>,
) -> impl IntoView {
    let label = format!("Leave {name}");
    move || {
        if confirming.get() == Some(id) {
            view! {
                <span class="inline-actions">
                    <button
                        class="btn btn-danger"
                        type="button"
                        data-testid="leave-confirm"
                        disabled=move || leave.pending().get()
                        on:click=move |_| {
                            leave.dispatch(LeaveTenant { tenant_id: id });
                        }
                    >
                        {label.clone()}
                    </button>
                    <button class="btn btn-ghost" type="button" on:click=move |_| confirming.set(None)>
                        "Cancel"
                    </button>
                </span>
            }
            .into_any()
        } else {
            view! {
                <button
                    class="btn btn-ghost"
                    type="button"
                    data-testid="leave"
                    aria-label=label.clone()
                    on:click=move |_| confirming.set(Some(id))
                >
                    "Leave…"
                </button>
            }
            .into_any()
        }
    }
}

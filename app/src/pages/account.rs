//! `/account`: the tenants the signed-in person belongs to, with their role in each, and
//! joining another tenant with an invitation code its administrator gave them.

use crate::components::error_box::ErrorBox;
use crate::server_fns::auth::{list_tenants, JoinTenant};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;

#[component]
pub fn AccountPage() -> impl IntoView {
    let join = ServerAction::<JoinTenant>::new();
    // The list follows every successful join.
    let tenants = crate::resource::resource(move || join.version().get(), |_| list_tenants());
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
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table data-testid="memberships">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Tenant"</th>
                                            <th scope="col">"Short name"</th>
                                            <th scope="col">"Your role"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|m| {
                                                let slug = m.tenant.slug;
                                                let row = slug.clone();
                                                view! {
                                                    <tr data-tenant=row>
                                                        <td>{m.tenant.name}</td>
                                                        <td class="mono">{slug}</td>
                                                        <td>{m.role.as_str()}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }
                        .into_any(),
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

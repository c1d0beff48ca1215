use crate::server_fns::auth::SwitchTenant;
use leptos::prelude::*;
use shared::auth::{TenantMembership, TenantRef};

/// The current tenant, and for people in several tenants a switcher. After a switch the page
/// reloads, so every widget shows the new tenant's data. The memberships come with the
/// signed-in user (one resource for the whole page shell).
///
/// A plain form rather than `ActionForm`: it posts the same field to the same server
/// function without JavaScript, and with it dispatches the action from the select's value,
/// so the page shell's wasm carries no form-to-struct decoder (`serde_qs`).
#[component]
pub fn TenantSwitcher(current: TenantRef, memberships: Vec<TenantMembership>) -> impl IntoView {
    let switch = ServerAction::<SwitchTenant>::new();
    let select = NodeRef::<leptos::html::Select>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = switch.value().get() {
            #[cfg(feature = "hydrate")]
            if let Err(e) = window().location().reload() {
                leptos::logging::error!("reload after tenant switch failed: {e:?}");
            }
        }
    });
    if memberships.len() < 2 {
        return view! {
            <span class="tenant" title="Current tenant" data-testid="tenant-name">
                {current.name}
            </span>
        }
        .into_any();
    }
    view! {
        <form
            method="post"
            action={<SwitchTenant as server_fn::ServerFn>::PATH}
            class="tenant-switcher"
            on:submit=move |ev| {
                let chosen = select.get().and_then(|s| s.value().parse::<i64>().ok());
                if let Some(tenant_id) = chosen {
                    ev.prevent_default();
                    switch.dispatch(SwitchTenant { tenant_id });
                }
            }
        >
            <label for="tenant-select" class="sr-only">"Tenant"</label>
            <select id="tenant-select" name="tenant_id" data-testid="tenant-select" node_ref=select>
                {memberships
                    .into_iter()
                    .map(|m| {
                        let selected = m.tenant.id == current.id;
                        view! {
                            <option value=m.tenant.id.to_string() selected=selected>
                                {m.tenant.name} " (" {m.role.as_str()} ")"
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <button class="btn btn-ghost" type="submit">"Switch"</button>
        </form>
    }
    .into_any()
}

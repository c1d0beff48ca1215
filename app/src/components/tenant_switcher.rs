use crate::server_fns::auth::SwitchTenant;
use leptos::prelude::*;
use shared::auth::{TenantMembership, TenantRef};

/// The current tenant, and for people in several tenants a switcher. After a switch the page
/// reloads, so every widget shows the new tenant's data. The memberships come with the
/// signed-in user (one resource for the whole page shell).
#[component]
pub fn TenantSwitcher(current: TenantRef, memberships: Vec<TenantMembership>) -> impl IntoView {
    let switch = ServerAction::<SwitchTenant>::new();
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
        <ActionForm action=switch attr:class="tenant-switcher">
            <label for="tenant-select" class="sr-only">"Tenant"</label>
            <select id="tenant-select" name="tenant_id" data-testid="tenant-select">
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
        </ActionForm>
    }
    .into_any()
}

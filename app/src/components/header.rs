use crate::components::tenant_switcher::TenantSwitcher;
use crate::server_fns::auth::Logout;
use leptos::prelude::*;
use shared::auth::{SessionUser, TenantMembership};

/// Top bar: product name, pages, current tenant, theme, signed-in user and sign-out.
#[component]
pub fn Header(user: SessionUser, tenants: Vec<TenantMembership>) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    // Only admins get the link; the page and every action check the role again.
    let is_admin = user.role == shared::Role::Admin;
    // The page the visitor is on, marked in the navigation (`/admin/jobs` is under
    // Administration, `/anomalies/7` under Incidents).
    let pathname = leptos_router::hooks::use_location().pathname;
    let current = move |href: &'static str| {
        let path = pathname.get();
        let here = if href == "/" {
            path == "/"
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        };
        here.then_some("page")
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Roccavina Water"
            </a>
            <nav class="nav" aria-label="Pages">
                <a href="/" aria-current=move || current("/")>"Dashboard"</a>
                <a href="/enhanced-overview" aria-current=move || current("/enhanced-overview")>"Network"</a>
                <a href="/monitoring" aria-current=move || current("/monitoring")>"Monitoring"</a>
                <a href="/anomalies" aria-current=move || current("/anomalies")>"Incidents"</a>
                <Show when=move || is_admin>
                    <a href="/admin" aria-current=move || current("/admin")>"Administration"</a>
                    <a href="/test" aria-current=move || current("/test")>"Diagnostics"</a>
                </Show>
            </nav>
            <TenantSwitcher current=user.tenant.clone() memberships=tenants />
            <div class="user-menu">
                // Handled by public/theme.js (works before hydration, costs the wasm nothing).
                <button
                    type="button"
                    class="theme-toggle"
                    data-theme-toggle=""
                    data-testid="theme-toggle"
                    title="Switch between the light and the dark theme"
                >
                    <span aria-hidden="true">"◐"</span>
                    <span class="sr-only">"Theme"</span>
                </button>
                <a class="user" href="/account" data-testid="user-email" title="Your tenants and roles">
                    {user.display_name.clone()}
                    <small class="muted">" · " {user.role.as_str()}</small>
                </a>
                // A plain form (see TenantSwitcher): works without JavaScript, and with it
                // signs out through the action, which follows the server's redirect.
                <form
                    method="post"
                    action={<Logout as server_fn::ServerFn>::PATH}
                    on:submit=move |ev| {
                        ev.prevent_default();
                        logout.dispatch(Logout {});
                    }
                >
                    <button class="btn btn-ghost" type="submit">"Sign out"</button>
                </form>
            </div>
        </header>
    }
}

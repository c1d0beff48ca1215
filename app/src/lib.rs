//! What a person sees: the Leptos app (pages, components, routes) and the server functions
//! its components call. Server-only code (the ports) lives under the `ssr` feature.

#[cfg(feature = "ssr")]
pub mod charts;
pub mod components;
pub mod pages;
pub mod resource;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod ssr;

use components::protected::ProtectedLayout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};
use pages::not_found::NotFound;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                // Applies the theme chosen in the header before the first paint (no `defer`).
                <script src="/theme.js"></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                // ECharts (the npm package's build, served from public/) and the glue that
                // draws each chart's option once the page has hydrated.
                <script defer src="/vendor/echarts.min.js"></script>
                <script defer src="/charts.js"></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: routes and the pieces every page shares.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/roccavina.css" />
        <Link rel="icon" href="/favicon.ico" />
        <Title formatter=|page: String| format!("{page} · Roccavina Water") />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/auth/login") view={Lazy::<Login>::new()} ssr=SsrMode::Async />
                <Route path=path!("/auth/register") view={Lazy::<Register>::new()} ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=ProtectedLayout ssr=SsrMode::Async>
                    <Route path=path!("/") view={Lazy::<Dashboard>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/enhanced-overview") view={Lazy::<Overview>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/monitoring") view={Lazy::<Monitoring>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/anomalies") view={Lazy::<Anomalies>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/anomalies/:id") view={Lazy::<Incident>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/nodes/:id") view={Lazy::<Node>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin") view={Lazy::<AdminPeople>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/keys") view={Lazy::<AdminKeys>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/jobs") view={Lazy::<AdminJobs>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view={Lazy::<AdminAudit>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<Account>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/test") view={Lazy::<Diagnostics>::new()} ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

// Every page loads lazily: each page's code is its own WebAssembly chunk (built with
// `cargo leptos build --split`), fetched when the page is first shown, so the first download
// holds only the router and the layout. The server renders them as before.

/// A lazily loaded route `$route` showing the page component `$page`.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:path) => {
        $(#[$doc])*
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    };
}

lazy_page!(/// `/auth/login`: signing in.
    Login => pages::login::LoginPage);
lazy_page!(/// `/auth/register`: a new account.
    Register => pages::register::RegisterPage);
lazy_page!(/// `/`: the dashboard.
    Dashboard => pages::dashboard::DashboardPage);
lazy_page!(/// `/enhanced-overview`: the network map and districts.
    Overview => pages::overview::OverviewPage);
lazy_page!(/// `/monitoring`: the live view.
    Monitoring => pages::monitoring::MonitoringPage);
lazy_page!(/// `/anomalies`: the incident list.
    Anomalies => pages::anomalies::AnomaliesPage);
lazy_page!(/// `/anomalies/:id`: one incident.
    Incident => pages::incident::IncidentPage);
lazy_page!(/// `/nodes/:id`: one node's chart.
    Node => pages::node::NodePage);
lazy_page!(/// `/admin`: members and invitations.
    AdminPeople => pages::admin::people::PeoplePage);
lazy_page!(/// `/admin/keys`: API keys.
    AdminKeys => pages::admin::keys::ApiKeysPage);
lazy_page!(/// `/admin/jobs`: background jobs.
    AdminJobs => pages::admin::jobs::JobsPage);
lazy_page!(/// `/admin/audit`: the audit log.
    AdminAudit => pages::admin::audit::AuditPage);
lazy_page!(/// `/account`: the person's tenants.
    Account => pages::account::AccountPage);
lazy_page!(/// `/test`: diagnostics.
    Diagnostics => pages::diagnostics::DiagnosticsPage);

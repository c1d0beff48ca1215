//! What a person sees: the Leptos app (pages, components, routes) and the server functions
//! its components call. Server-only code (the ports) lives under the `ssr` feature.

#[cfg(feature = "ssr")]
pub mod charts;
pub mod components;
pub mod pages;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod ssr;

use components::protected::ProtectedLayout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};
use pages::{
    account::AccountPage, admin::AdminPage, anomalies::AnomaliesPage, dashboard::DashboardPage,
    diagnostics::DiagnosticsPage, incident::IncidentPage, login::LoginPage,
    monitoring::MonitoringPage, node::NodePage, not_found::NotFound, overview::OverviewPage,
    register::RegisterPage,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
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
                <Route path=path!("/auth/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/auth/register") view=RegisterPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=ProtectedLayout ssr=SsrMode::Async>
                    <Route path=path!("/") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/enhanced-overview") view=OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("/monitoring") view=MonitoringPage ssr=SsrMode::Async />
                    <Route path=path!("/anomalies") view=AnomaliesPage ssr=SsrMode::Async />
                    <Route path=path!("/anomalies/:id") view=IncidentPage ssr=SsrMode::Async />
                    <Route path=path!("/nodes/:id") view=NodePage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/test") view=DiagnosticsPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

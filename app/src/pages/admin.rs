//! The tenant admin's pages, one route per task so each page downloads only its own code:
//! `/admin` people (members, their roles, invitations), `/admin/keys` API keys,
//! `/admin/jobs` the background jobs with a "run now" button, `/admin/audit` the audit log.
//! Every action is checked again on the server; people who are not admins see why the page
//! is empty.

pub mod audit;
pub mod jobs;
pub mod keys;
pub mod people;

use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;

/// The administration tabs: path and label.
const TABS: [(&str, &str); 4] = [
    ("/admin", "People"),
    ("/admin/keys", "API keys"),
    ("/admin/jobs", "Background jobs"),
    ("/admin/audit", "Audit log"),
];

/// The frame of every administration page: title, heading and the tabs, `path` marked as
/// the current one.
#[component]
fn AdminFrame(path: &'static str, children: Children) -> impl IntoView {
    let title = TABS
        .iter()
        .find(|(p, _)| *p == path)
        .map_or("Administration", |(_, label)| *label);
    let tabs = TABS
        .iter()
        .map(|&(href, label)| {
            view! {
                <a href=href class="tab" aria-current=(href == path).then_some("page")>{label}</a>
            }
        })
        .collect_view();
    view! {
        <Title text=format!("{title} · Administration") />
        <div class="page-head">
            <h1>"Administration"</h1>
        </div>
        <nav class="tabs" aria-label="Administration">{tabs}</nav>
        <div class="admin-grid">{children()}</div>
    }
}

/// The failure of an action's last run, if it failed.
fn error_line(error: impl Fn() -> Option<AppError> + Send + Sync + 'static) -> impl IntoView {
    move || error().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
}

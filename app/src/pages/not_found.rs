use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path no route matches. Renders the same on server and client, so it
/// hydrates cleanly; the server sets the 404 status.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="auth-page">
            <section class="card auth-card">
                <h1>"Page not found"</h1>
                <p class="muted">"There is nothing at this address."</p>
                <a class="btn" href="/">"Back to the dashboard"</a>
            </section>
        </main>
    }
}

use crate::server_fns::auth::Login;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use shared::AppError;

/// `/auth/login`: email and password, then back to the page that was asked for.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_string());
    let error = move || {
        action.value().get().and_then(Result::err).map(|e| match e {
            AppError::InvalidCredentials => "Wrong email or password.".to_string(),
            AppError::Validation { field, message } => format!("{field} {message}."),
            other => other.to_string(),
        })
    };
    view! {
        <Title text="Sign in" />
        <main class="auth-page">
            <section class="card auth-card">
                <div class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "Roccavina Water"
                </div>
                <h1>"Sign in"</h1>
                <p class="muted">"Monitor your distribution network."</p>
                <ActionForm action=action attr:class="form" attr:aria-label="Sign in">
                    <input type="hidden" name="next" prop:value=next />
                    <label for="email">"Email"</label>
                    <input id="email" type="email" name="email" required autocomplete="username" />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        type="password"
                        name="password"
                        required
                        autocomplete="current-password"
                    />
                    <Show when=move || error().is_some()>
                        <p class="form-error" role="alert" data-testid="login-error">
                            {error}
                        </p>
                    </Show>
                    <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="muted">"New here? " <a href="/auth/register">"Create an account"</a></p>
            </section>
        </main>
    }
}

use crate::server_fns::auth::Register;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;

/// `/auth/register`: a new account that either creates a utility's tenant or joins one with
/// an invitation code from its administrator.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let error = move || {
        action.value().get().and_then(Result::err).map(|e| match e {
            AppError::Validation { field, message } => {
                format!("{}: {message}.", field.replace('_', " "))
            }
            other => other.to_string(),
        })
    };
    view! {
        <Title text="Create an account" />
        <main class="auth-page">
            <section class="card auth-card">
                <div class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "Roccavina Water"
                </div>
                <h1>"Create an account"</h1>
                <p class="muted">"Start a workspace for your utility, or join one with an invitation code."</p>
                <ActionForm action=action attr:class="form" attr:aria-label="Create an account">
                    <label for="display_name">"Your name"</label>
                    <input id="display_name" name="display_name" required autocomplete="name" />
                    <label for="email">"Email"</label>
                    <input id="email" type="email" name="email" required autocomplete="username" />
                    <label for="password">"Password (at least 12 characters)"</label>
                    <input id="password" type="password" name="password" required minlength="12" autocomplete="new-password" />
                    <label for="tenant_name">"Utility name (to create a new workspace)"</label>
                    <input id="tenant_name" name="tenant_name" autocomplete="organization" />
                    <label for="code">"…or invitation code (to join one)"</label>
                    <input id="code" name="code" autocomplete="off" />
                    <Show when=move || error().is_some()>
                        <p class="form-error" role="alert" data-testid="register-error">{error}</p>
                    </Show>
                    <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>
                        "Create account"
                    </button>
                </ActionForm>
                <p class="muted">"Already have an account? " <a href="/auth/login">"Sign in"</a></p>
            </section>
        </main>
    }
}

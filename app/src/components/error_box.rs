use leptos::prelude::*;
use shared::AppError;

/// Tells the person what went wrong and offers to try again.
#[component]
pub fn ErrorBox(error: AppError, #[prop(into)] retry: Callback<()>) -> impl IntoView {
    let message = match &error {
        AppError::Internal { reference } => {
            format!("The server could not answer (reference {reference}). Try again in a moment.")
        }
        AppError::Transport { .. } => "The server cannot be reached. Check the connection.".into(),
        other => other.to_string(),
    };
    view! {
        <div class="error-box" role="alert">
            <p>{message}</p>
            <button class="btn" on:click=move |_| retry.run(())>"Retry"</button>
        </div>
    }
}

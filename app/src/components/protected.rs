use crate::components::error_box::ErrorBox;
use crate::components::header::Header;
use crate::server_fns::auth::current_user;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;
use shared::validate::encode_query_value;

/// Layout for every signed-in page: sends anonymous visitors to the login page (keeping the
/// page they wanted in `next`), otherwise renders the header above the page.
#[component]
pub fn ProtectedLayout() -> impl IntoView {
    let user = crate::resource::resource(|| (), |_| current_user());
    let location = use_location();
    let login_path = move || {
        let wanted = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        format!("/auth/login?next={}", encode_query_value(&wanted))
    };
    // The page (the `Outlet`) is rendered outside the `Suspend` that waits for the user: a
    // component created inside it may be created twice on the server (once in an owner that
    // is discarded), which shifts the ids of the page's resources between the server and the
    // browser and breaks hydration. Anonymous visitors are redirected before the page's own
    // server calls (which refuse them) matter.
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(session)) => {
                        view! { <Header user=session.user tenants=session.tenants /> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path=login_path() /> }.into_any(),
                    Err(error) => {
                        view! {
                            <div class="content">
                                <ErrorBox error retry=move |_| user.refetch() />
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
        <main class="content">
            <Outlet />
        </main>
    }
}

//! The whole HTTP surface in one router: the Leptos app and its server functions, the REST
//! API, operations endpoints and static files, with request ids, tracing and metrics.

use crate::state::AppState;
use crate::{api, ops};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderName;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Server functions get the same services as server-side rendering.
async fn server_fns(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    let services = state.services.clone();
    handle_server_fns_with_context(move || provide_context(services.clone()), req).await
}

/// Builds the application router (used by `main` and by the HTTP tests through `oneshot`).
pub fn app(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let services = state.services.clone();
    let context = move || provide_context(services.clone());
    let routes = generate_route_list(App);
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
        let id = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("http", method = %req.method(), uri = %req.uri().path(), request_id = %id)
    });
    Router::new()
        .route("/api/{*fn_name}", post(server_fns).get(server_fns))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .merge(api::router(
            state.config.max_body_bytes,
            state.config.max_import_bytes,
        ))
        .merge(ops::router())
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::cookies::refresh_session,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::client_addr::client_addr,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            ops::metrics::track,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(trace)
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        )
        .with_state(state)
}

//! REST fallbacks for integrators under `/api/v1`, described by an OpenAPI 3 document
//! generated from the handlers themselves.

pub mod anomalies;
pub mod api_keys;
pub mod auth;
pub mod dashboard;
pub mod efficiency;
pub mod events;
pub mod extract;
pub mod forecasts;
pub mod ingest;
pub mod jobs;
pub mod members;
pub mod quality;
pub mod readings;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use shared::AppError;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roccavina Water API",
        description = "REST access to a tenant's water network data. Authenticate with \
                       `POST /api/v1/auth/login`, then send `Authorization: Bearer <token>`. \
                       Errors are JSON objects with a stable `code` and a readable `error`."
    ),
    modifiers(&BearerAuth),
    components(schemas(AppError)),
    tags((name = "auth", description = "Sessions"), (name = "dashboard", description = "Network summary"),
        (name = "ingest", description = "Bulk readings and nodes"),
        (name = "readings", description = "Time series"),
        (name = "jobs", description = "Background jobs and data quality"),
        (name = "network", description = "Network efficiency: water balance, non-revenue water, ILI"),
        (name = "anomalies", description = "Leaks, network anomalies and sensor faults found by the detector"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every documented REST route. A route must be added here, through `routes!`, to exist.
/// Import routes accept bodies up to `import_limit` bytes, the others up to `json_limit`.
pub fn documented(json_limit: usize, import_limit: usize) -> OpenApiRouter<AppState> {
    let imports = OpenApiRouter::new()
        .routes(routes!(ingest::post_readings))
        .routes(routes!(ingest::post_nodes))
        .layer(DefaultBodyLimit::max(import_limit));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::register))
        .routes(routes!(auth::invite))
        .routes(routes!(auth::join))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::tenants))
        .routes(routes!(auth::leave))
        .routes(routes!(auth::current_tenant))
        .routes(routes!(auth::audit))
        .routes(routes!(api_keys::create, api_keys::list))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(members::list))
        .routes(routes!(members::set_role, members::remove))
        .routes(routes!(dashboard::summary))
        .routes(routes!(dashboard::period))
        .routes(routes!(dashboard::overview))
        .routes(routes!(readings::get_readings))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::run))
        .routes(routes!(quality::report))
        .routes(routes!(anomalies::list))
        .routes(routes!(anomalies::get))
        .routes(routes!(anomalies::acknowledge))
        .routes(routes!(anomalies::resolve))
        .routes(routes!(efficiency::get))
        .routes(routes!(forecasts::get))
        .routes(routes!(forecasts::district))
        .routes(routes!(events::stream))
        .layer(DefaultBodyLimit::max(json_limit))
        .merge(imports)
}

/// The REST router: documented routes, the document itself, and JSON 404s under `/api/v1`.
pub fn router(json_limit: usize, import_limit: usize) -> Router<AppState> {
    let (router, openapi) = documented(json_limit, import_limit).split_for_parts();
    let openapi = std::sync::Arc::new(openapi);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route("/api/v1", axum::routing::any(not_found))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
}

async fn not_found() -> ApiError {
    ApiError(AppError::not_found("route"))
}

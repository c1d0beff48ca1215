//! Start-up: read configuration, open storage and cache, seed the demo, serve.

use anyhow::Context;
use clap::Parser;
use leptos::config::get_configuration;
use server::config::{Cli, Command, Config};
use server::{demo, warehouse};
use server::{web, AppState};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let mut cli = Cli::parse();
    cli.config = cli.config.normalized();
    init_tracing(&cli.config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => {
            server::storage::connect(&cli.config.database_url, 1).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Import { what } => server::cli::import(&cli.config, what).await,
        Command::Tenant { what } => server::cli::tenant(&cli.config, what).await,
        Command::Replay {
            dir,
            out,
            replay_database_url,
            time_zone,
            no_score,
        } => {
            server::anomalies::replay::run(server::anomalies::replay::ReplayOptions {
                dir,
                out,
                database_url: replay_database_url,
                time_zone,
                score: !no_score,
            })
            .await
        }
        Command::Healthcheck { url } => healthcheck(&url).await,
    }
}

fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let leptos_options = get_configuration(None)
        .context("reading Leptos settings")?
        .leptos_options;
    let addr = leptos_options.site_addr;
    let demo_settings = (
        config.demo_data,
        config.demo_admin_email.clone(),
        config.demo_admin_password.clone(),
    );
    tracing::info!(
        database = %redact(&config.database_url),
        cache = if config.redis_url.is_some() { "redis" } else { "memory" },
        "starting"
    );
    let state = AppState::build(config, leptos_options).await?;
    tokio::spawn(state.live.clone().listen());
    if let (true, email, password) = demo_settings {
        let tenant = demo::seed::ensure(&state.db, &email, &password).await?;
        tracing::info!(
            "demo tenant ready: sign in at http://{addr}/auth/login as {email} \
             (password from DEMO_ADMIN_PASSWORD, default `roccavina-demo`)"
        );
        state
            .scheduler
            .add_source(Arc::new(warehouse::simulator::Simulator::new(tenant)));
    }
    if let Some(settings) = state.config.bigquery()? {
        let source = warehouse_source(&state, settings).await?;
        state.scheduler.add_source(source);
    }
    // Kept alive for the life of the server: dropping it stops the timers.
    let _cron = if state.config.scheduler_enabled {
        // First start (or a restart after an outage): backfill from the watermarks now rather
        // than at the next tick. Idempotent, so an interrupted run is simply repeated.
        let scheduler = state.scheduler.clone();
        tokio::spawn(async move {
            // …then warm the cache.
            for name in ["realtime_sync", "cache_refresh"] {
                if let Some(job) = scheduler.job(name).map(|r| r.job.clone()) {
                    if let Err(e) = scheduler.tick(job, chrono::Utc::now()).await {
                        tracing::error!(job = name, error = %e, "start-up run failed");
                    }
                }
            }
            // …then the daily ticks no server ran (down at the time, or the first start),
            // on the data just synced.
            for run in scheduler.catch_up(chrono::Utc::now()) {
                let _ = run.await;
            }
        });
        Some(
            state
                .scheduler
                .start()
                .await
                .context("starting the scheduler")?,
        )
    } else {
        tracing::info!("scheduler switched off (SCHEDULER_ENABLED=false)");
        None
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!("listening on http://{addr}");
    let app = web::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

/// The database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}://{user}:***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

async fn healthcheck(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("http://")
        .context("healthcheck supports http:// URLs")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    let head = String::from_utf8_lossy(&buf);
    anyhow::ensure!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "unhealthy: {}",
        head.lines().next().unwrap_or_default()
    );
    Ok(())
}

/// The BigQuery source of the configured tenant.
async fn warehouse_source(
    state: &AppState,
    settings: warehouse::bigquery::BigQuerySettings,
) -> anyhow::Result<Arc<dyn warehouse::ReadingSource>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let config = &state.config;
    let slug = config
        .bigquery_tenant
        .as_deref()
        .context("BIGQUERY_TENANT must name the tenant the BigQuery table feeds")?;
    let tenant = server::storage::entities::tenants::Entity::find()
        .filter(server::storage::entities::tenants::Column::Slug.eq(slug))
        .one(&state.db)
        .await?
        .with_context(|| format!("BIGQUERY_TENANT: no tenant `{slug}`"))?;
    let key_file = config
        .bigquery_key_file
        .as_deref()
        .context("GOOGLE_APPLICATION_CREDENTIALS must point at the service-account key file")?;
    let client = warehouse::bigquery::BigQuerySource::client_from_key_file(
        key_file,
        config.bigquery_base_url.as_deref(),
    )
    .await?;
    tracing::info!(project = %settings.project, table = %settings.table, tenant = %slug, "BigQuery sync configured");
    Ok(Arc::new(warehouse::bigquery::BigQuerySource::new(
        client, settings, tenant.id,
    )))
}

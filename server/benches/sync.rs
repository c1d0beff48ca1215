//! Warehouse sync timings against the fake BigQuery server of the test suite (the real
//! `gcp-bigquery-client` over HTTP, the product's sync into PostgreSQL):
//! - the daily 48-hour resync into an empty store, and again over data already stored;
//! - the real-time sync of the newest 5 minutes, 1,000 nodes.
//!
//! `cargo bench -p server --bench sync` (PostgreSQL at `BENCH_PG`, default
//! postgres://postgres@127.0.0.1:5432; a fresh database `rw_bench_sync` is created).

// The bench uses part of the fake server's controls.
#[allow(dead_code)]
#[path = "../tests/it/fake_bigquery.rs"]
mod fake_bigquery;

use chrono::{Duration, DurationRound, Utc};
use fake_bigquery::{FakeBigQuery, TableRow};
use gcp_bigquery_client::error::BQError;
use sea_orm::{ConnectionTrait, Database};
use server::warehouse::bigquery::{BigQuerySettings, BigQuerySource, Retry};
use server::warehouse::sync;
use std::sync::Arc;
use std::time::Instant;

const NODES: usize = 1_000;
const STEP_MIN: i64 = 5;

#[derive(Clone)]
struct StaticToken;

#[async_trait::async_trait]
impl gcp_bigquery_client::auth::Authenticator for StaticToken {
    async fn access_token(&self) -> Result<String, BQError> {
        Ok("bench".into())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let pg =
        std::env::var("BENCH_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let admin = Database::connect(format!("{pg}/postgres")).await?;
    admin
        .execute_unprepared("DROP DATABASE IF EXISTS rw_bench_sync WITH (FORCE)")
        .await?;
    admin
        .execute_unprepared("CREATE DATABASE rw_bench_sync")
        .await?;
    let db = server::storage::connect(&format!("{pg}/rw_bench_sync"), 10).await?;
    let tenant = server::storage::entities::tenants::ActiveModel {
        slug: sea_orm::ActiveValue::Set("bench".into()),
        name: sea_orm::ActiveValue::Set("Bench".into()),
        time_zone: sea_orm::ActiveValue::Set("Europe/Rome".into()),
        raw_retention_days: sea_orm::ActiveValue::Set(90),
        created_at: sea_orm::ActiveValue::Set(Utc::now()),
        ..Default::default()
    };
    let tenant_id = sea_orm::ActiveModelTrait::insert(tenant, &db).await?.id;
    let mut nodes = String::from("node_id,name,kind,lat,lon,district\n");
    for n in 0..NODES {
        nodes.push_str(&format!("N{n:04},Node {n},flow,39.2,9.1,DMA-{}\n", n % 10));
    }
    server::ingest::import_nodes(&db, tenant_id, nodes.as_bytes()).await?;

    // 48 h + 30 min of 5-minute rows: flow, pressure, temperature, totaliser.
    let now = Utc::now().duration_trunc(Duration::minutes(5))?;
    let start = now - Duration::hours(48) - Duration::minutes(30);
    let steps = (now - start).num_minutes() / STEP_MIN;
    let mut rows = Vec::with_capacity(steps as usize * NODES);
    for s in 1..=steps {
        let ts = start + Duration::minutes(STEP_MIN * s);
        for n in 0..NODES {
            let x = (s as f64 * 0.05 + n as f64).sin();
            rows.push(TableRow {
                ts,
                node: format!("N{n:04}"),
                values: [
                    Some(20.0 + 5.0 * x),
                    Some(3.5 + 0.2 * x),
                    Some(14.0),
                    Some(1e4 + s as f64),
                ],
            });
        }
    }
    let fake = FakeBigQuery::start("bench").await;
    fake.set_rows(rows);
    let client = gcp_bigquery_client::client_builder::ClientBuilder::new()
        .with_v2_base_url(fake.url.clone())
        .build_from_authenticator(Arc::new(StaticToken))
        .await?;
    let (ts_column, node_column, metric_columns) = BigQuerySettings::parse_columns(
        "ts=timestamp,node=node_id,flow_rate=flow_rate,pressure=pressure,\
         temperature=temperature,volume=total_flow",
    )
    .map_err(anyhow::Error::msg)?;
    let source = BigQuerySource::new(
        client,
        BigQuerySettings {
            project: "roccavina-test".into(),
            dataset: "telemetry".into(),
            table: "readings".into(),
            ts_column,
            node_column,
            metric_columns,
            page_size: 10_000,
            retry: Retry {
                attempts: 3,
                base_delay: std::time::Duration::from_millis(100),
            },
        },
        tenant_id,
    );

    let resync_to = now - Duration::minutes(30);
    let t = Instant::now();
    let out = sync::pull_window(
        &db,
        None,
        &source,
        resync_to - Duration::hours(48),
        resync_to,
    )
    .await?;
    let first = t.elapsed();
    println!(
        "48 h resync, empty store: {:.1} s, {} pages, {} readings stored ({:.0}/s)",
        first.as_secs_f64(),
        out.pages,
        out.report.inserted,
        out.report.inserted as f64 / first.as_secs_f64()
    );
    let t = Instant::now();
    let out = sync::pull_window(
        &db,
        None,
        &source,
        resync_to - Duration::hours(48),
        resync_to,
    )
    .await?;
    let again = t.elapsed();
    println!(
        "48 h resync, data already stored: {:.1} s, {} unchanged, {} new",
        again.as_secs_f64(),
        out.report.unchanged,
        out.report.inserted
    );
    let mut times = Vec::new();
    let mut from = resync_to;
    while from < now {
        let to = from + Duration::minutes(5);
        let t = Instant::now();
        let out = sync::pull_window(&db, None, &source, from, to).await?;
        times.push(t.elapsed().as_secs_f64());
        assert_eq!(out.report.inserted as usize, NODES * 4);
        from = to;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "real-time sync, 5 minutes of {NODES} nodes ({} readings): median {:.0} ms, max {:.0} ms over {} runs",
        NODES * 4,
        times[times.len() / 2] * 1e3,
        times[times.len() - 1] * 1e3,
        times.len()
    );
    Ok(())
}

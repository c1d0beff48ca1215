//! Query latency on a loaded database (warm): p50 / p99 of the one-year and one-day chart
//! queries for one node and of the latest-values query for all of a tenant's nodes.
//!
//! DATABASE_URL=postgres://… cargo bench -p server --bench storage_queries -- --tenant bench

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use server::dashboard::DashboardService;
use server::series::SeriesService;
use server::storage::entities::{latest_readings, nodes, tenants};
use shared::series::SeriesQuery;
use shared::Metric;
use std::time::Instant;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn report(label: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let pick = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label:<32} n={:<4} p50 {:>8.2} ms   p99 {:>8.2} ms",
        ms.len(),
        pick(0.5),
        pick(0.99)
    );
}

/// Milliseconds of each of `runs` calls of `f` after 10 warm-up calls. Every call must
/// succeed: a failing query is fast, and timing it would report a number for nothing.
async fn time<F, Fut, T, E>(runs: usize, mut f: F) -> Vec<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    for _ in 0..10 {
        f().await.expect("the measured query failed"); // warm-up
    }
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await.expect("the measured query failed");
        out.push(t.elapsed().as_secs_f64() * 1e3);
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let slug = arg("--tenant", "bench");
    let runs: usize = arg("--runs", "200").parse()?;
    let db = server::storage::connect(&url, 4).await?;
    let tenant = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(&slug))
        .one(&db)
        .await?
        .expect("tenant");
    let node = nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(tenant.id))
        .filter(nodes::Column::Kind.eq("pressure"))
        .order_by_asc(nodes::Column::Id)
        .one(&db)
        .await?
        .expect("a pressure node");
    let last = latest_readings::Entity::find_by_id((node.id, Metric::Pressure.code()))
        .one(&db)
        .await?
        .map_or_else(Utc::now, |l| l.ts);
    let node_count = nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(tenant.id))
        .all(&db)
        .await?
        .len();
    println!(
        "tenant {slug}: {node_count} nodes; node {} latest {last}",
        node.external_id
    );

    let series = SeriesService::new(db.clone());
    let query = |days: i64| SeriesQuery {
        node_id: node.id,
        metric: Metric::Pressure,
        from: last - Duration::days(days),
        to: last + Duration::seconds(1),
        max_points: Some(1_000),
    };
    let year = series.series_for(tenant.id, query(365)).await?;
    println!(
        "one-year series: {:?}, {} stored points -> {} returned",
        year.resolution,
        year.source_points,
        year.points.len()
    );
    report(
        "series, one year (daily)",
        time(runs, || series.series_for(tenant.id, query(365))).await,
    );
    report(
        "series, one day (raw, time key)",
        time(runs, || series.series_for(tenant.id, query(1))).await,
    );
    // What the weekly maintenance does once a month has ended: its series index.
    let started = std::time::Instant::now();
    let indexed = server::storage::partitions::index_closed_months(&db, Utc::now()).await?;
    db.execute_unprepared("ANALYZE readings").await?;
    println!(
        "closed months indexed by series: {indexed} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    report(
        "series, one day (raw, closed month)",
        time(runs, || series.series_for(tenant.id, query(1))).await,
    );
    let dashboard = DashboardService::new(db.clone());
    let latest = dashboard.nodes_latest(tenant.id).await?;
    println!("latest values: {} nodes", latest.len());
    report(
        "latest values, all nodes",
        time(runs, || dashboard.nodes_latest(tenant.id)).await,
    );
    Ok(())
}

//! `server replay DIR`: imports a folder's `nodes.csv` and `readings.csv` into a fresh tenant,
//! replays time through the anomaly detector exactly as the 15-minute job runs it (one run per
//! grid step, each seeing only the data up to its clock), writes the incidents as detections in
//! the benchmark scorer's format and, when the folder carries the scorer (`score.py` with its
//! `labels.json`), runs it. The product itself never reads the labels.

use super::engine::{AnomalyEngine, GRID_STEP_SECS};
use crate::ingest::input::maybe_gzip;
use crate::ingest::{import_nodes, import_readings};
use crate::storage::{
    self,
    entities::{incidents, readings, tenants},
};
use analytics::incidents::Affected;
use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::path::{Path, PathBuf};

/// Options of one replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    pub dir: PathBuf,
    /// Where the detections go.
    pub out: PathBuf,
    /// Database to replay in (a fresh SQLite file when absent).
    pub database_url: Option<String>,
    /// The network's time zone (nights and weekdays are local).
    pub time_zone: String,
    /// Run the folder's scorer when present.
    pub score: bool,
}

/// Runs a replay and prints its summary.
pub async fn run(opts: ReplayOptions) -> anyhow::Result<()> {
    let temp = std::env::temp_dir().join(format!("roccavina-replay-{}.db", std::process::id()));
    let url = opts
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", temp.display()));
    let db = storage::connect(&url, 4).await?;
    let slug = format!("replay-{}", Utc::now().timestamp_millis());
    let tenant = tenants::ActiveModel {
        slug: Set(slug.clone()),
        name: Set(format!("Replay of {}", opts.dir.display())),
        time_zone: Set(opts.time_zone.clone()),
        raw_retention_days: Set(36_500),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&db)
    .await?;
    let open = |name: &str| -> anyhow::Result<Box<dyn std::io::Read + Send>> {
        let path = opts.dir.join(name);
        let file =
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Box::new(maybe_gzip(file)?))
    };
    let nodes = import_nodes(&db, tenant.id, open("nodes.csv")?).await?;
    let rows = import_readings(&db, tenant.id, open("readings.csv")?, 20_000, |_| {}).await?;
    println!(
        "tenant `{slug}`: {} nodes, {} readings imported ({} rejected)",
        nodes.inserted + nodes.updated,
        rows.accepted(),
        rows.rejected
    );
    // Rows that could not be imported are named, so a bad file is fixed rather than guessed at.
    for (file, report) in [("nodes.csv", &nodes), ("readings.csv", &rows)] {
        if report.rejected > 0 {
            println!("{file}: rejected {}", report.rejected);
            crate::cli::print_rejections(report);
        }
    }
    let (first, last) = range(&db, tenant.id).await?;
    let engine = AnomalyEngine::default();
    let ticks = ((last - first) / GRID_STEP_SECS + 1) as u64;
    let bar = ProgressBar::new(ticks).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} runs {elapsed} eta {eta}",
    )?);
    let started = std::time::Instant::now();
    let mut clock = first;
    while clock <= last {
        let at = DateTime::from_timestamp(clock, 0).context("clock out of range")?;
        engine.run_tick(&db, None, tenant.id, at).await?;
        bar.inc(1);
        clock += GRID_STEP_SECS;
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let stored = incidents::Entity::find()
        .filter(incidents::Column::TenantId.eq(tenant.id))
        .order_by_asc(incidents::Column::DetectedAt)
        .all(&db)
        .await?;
    let detections = detections(&stored);
    std::fs::write(&opts.out, serde_json::to_string_pretty(&detections)?)?;
    println!(
        "{ticks} runs in {secs:.1} s ({:.1} ms per run): {} incidents ({} faults), {} detections -> {}",
        secs * 1000.0 / ticks.max(1) as f64,
        stored.len(),
        stored.iter().filter(|i| i.kind.starts_with("sensor_")).count(),
        detections.len(),
        opts.out.display()
    );
    if opts.database_url.is_none() {
        drop(db);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
        }
    }
    if opts.score {
        score(&opts.dir, &opts.out)?;
    }
    Ok(())
}

async fn range(db: &sea_orm::DatabaseConnection, tenant_id: i64) -> anyhow::Result<(i64, i64)> {
    let q = || {
        readings::Entity::find()
            .filter(readings::Column::TenantId.eq(tenant_id))
            .select_only()
            .column(readings::Column::Ts)
    };
    let first: Option<DateTime<Utc>> = q()
        .order_by_asc(readings::Column::Ts)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let last: Option<DateTime<Utc>> = q()
        .order_by_desc(readings::Column::Ts)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    match (first, last) {
        (Some(f), Some(l)) => Ok((f.timestamp(), l.timestamp())),
        _ => anyhow::bail!("no readings were imported"),
    }
}

/// The scorer's format: one record per affected sensor named by an incident: its sensor for a
/// fault, the two most affected sensors for a hydraulic incident, each from when it joined.
pub fn detections(stored: &[incidents::Model]) -> Vec<serde_json::Value> {
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut out = Vec::new();
    for i in stored {
        let fault = i.kind.starts_with("sensor_");
        let kind = if fault {
            "fault"
        } else if i.kind == "leak" {
            "leak"
        } else {
            "anomaly"
        };
        let affected: Vec<Affected> = serde_json::from_str(&i.affected).unwrap_or_default();
        for a in affected.iter().take(if fault { 1 } else { 2 }) {
            let since = DateTime::from_timestamp(a.since, 0)
                .unwrap_or(i.detected_at)
                .max(i.detected_at);
            out.push(serde_json::json!({
                "node_id": a.node,
                "metric": a.metric,
                "kind": kind,
                "type": i.kind,
                "incident": i.id,
                "detected_at": fmt(since),
                "start": fmt(i.started_at),
                "end": fmt(i.ended_at.unwrap_or(i.last_seen_at)),
                "score": a.score,
            }));
        }
    }
    out
}

fn score(dir: &Path, out: &Path) -> anyhow::Result<()> {
    let scorer = dir.join("score.py");
    let labels = dir.join("labels.json");
    if !scorer.exists() || !labels.exists() {
        println!(
            "no score.py with labels.json in {}: not scored",
            dir.display()
        );
        return Ok(());
    }
    let status = std::process::Command::new("python3")
        .arg(&scorer)
        .arg(&labels)
        .arg(out)
        .status()
        .context("running python3 score.py")?;
    anyhow::ensure!(status.success(), "the scorer failed");
    Ok(())
}

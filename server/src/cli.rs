//! Administrative commands of the server binary:
//! `server import readings|nodes FILE --tenant SLUG` (with a progress bar and a final count
//! of inserted, updated, unchanged and rejected rows) and `server tenant create|list`.

use crate::config::{Config, ImportCommand, TenantCommand};
use crate::ingest::input::{maybe_gzip, Counting};
use crate::ingest::{import_nodes, import_readings};
use crate::storage::{self, entities::tenants};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use shared::ingest::ImportReport;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Rejections printed at the end (all are counted).
const SHOWN: usize = 20;

async fn tenant_id(db: &DatabaseConnection, slug: &str) -> anyhow::Result<i64> {
    tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|t| t.id)
        .with_context(|| format!("no tenant with slug `{slug}`"))
}

fn print(report: &ImportReport) {
    println!(
        "inserted {}, updated {}, unchanged {}, rejected {}",
        report.inserted, report.updated, report.unchanged, report.rejected
    );
    print_rejections(report);
}

/// The first [`SHOWN`] rejected rows of an import, each with its line, field and reason, and
/// how many more there were.
pub(crate) fn print_rejections(report: &ImportReport) {
    for r in report.rejections.iter().take(SHOWN) {
        println!("  line {}: {}: {}", r.line, r.field, r.reason);
    }
    if report.rejected as usize > SHOWN {
        println!("  … and {} more", report.rejected as usize - SHOWN);
    }
}

/// Runs one tenant command.
pub async fn tenant(config: &Config, command: TenantCommand) -> anyhow::Result<()> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let db = storage::connect(&config.database_url, 2).await?;
    match command {
        TenantCommand::Create {
            slug,
            name,
            retention_days,
        } => {
            anyhow::ensure!(
                !slug.is_empty()
                    && slug.len() <= 64
                    && slug
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "a slug is 1-64 characters of a-z, 0-9 and -"
            );
            let tenant = tenants::ActiveModel {
                slug: Set(slug.clone()),
                name: Set(name.unwrap_or_else(|| slug.clone())),
                time_zone: Set("Europe/Rome".into()),
                raw_retention_days: Set(retention_days),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            }
            .insert(&db)
            .await
            .with_context(|| format!("creating tenant `{slug}` (does it exist already?)"))?;
            println!("tenant `{}` created with id {}", tenant.slug, tenant.id);
        }
        TenantCommand::List => {
            for t in tenants::Entity::find().all(&db).await? {
                println!(
                    "{}\t{}\t{} days raw retention",
                    t.slug, t.name, t.raw_retention_days
                );
            }
        }
    }
    Ok(())
}

/// Runs one import command.
pub async fn import(config: &Config, command: ImportCommand) -> anyhow::Result<()> {
    // The configured pool: a bulk load uses several connections (`readings::BulkLoad`).
    let db = storage::connect(&config.database_url, config.db_max_connections).await?;
    match command {
        ImportCommand::Readings {
            file,
            tenant,
            batch,
        } => {
            let tenant = tenant_id(&db, &tenant).await?;
            let size = std::fs::metadata(&file)
                .with_context(|| format!("reading {}", file.display()))?
                .len();
            let read = Arc::new(AtomicU64::new(0));
            let input = Counting::new(std::fs::File::open(&file)?, read.clone());
            let bar = ProgressBar::new(size).with_style(ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            )?);
            let started = std::time::Instant::now();
            let report = import_readings(&db, tenant, input, batch, |r| {
                bar.set_position(read.load(Ordering::Relaxed));
                bar.set_message(format!("{} readings", r.accepted()));
            })
            .await?;
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            print(&report);
            println!(
                "{:.1} s, {:.0} readings/s",
                secs,
                report.accepted() as f64 / secs.max(1e-9)
            );
        }
        ImportCommand::Nodes { file, tenant } => {
            let tenant = tenant_id(&db, &tenant).await?;
            let input = maybe_gzip(std::fs::File::open(&file)?)?;
            let report = import_nodes(&db, tenant, input).await?;
            print(&report);
        }
    }
    Ok(())
}

//! Import orchestration: a blocking parser thread feeds batches through a small bounded
//! channel (so memory stays flat whatever the file size) to the async writer, which
//! resolves node ids inside the tenant and upserts each batch in its own transaction — or,
//! for months that have no partition yet on PostgreSQL, hands the rows to a bulk load that
//! stores those months whole at the end (`readings::BulkLoad`). A batch, and a bulk-loaded
//! month, either lands whole or not at all, so an interrupted import can simply be rerun.

use super::input::maybe_gzip;
use super::nodes_csv::{self, ParsedNode};
use super::readings_csv::{Batch, ParsedReading, ReadingsCsv};
use crate::error::internal;
use crate::live::Live;
use crate::storage::entities::{districts, nodes};
use crate::storage::readings::{self, NewReading};
use crate::storage::rollups;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
};
use shared::ingest::{ImportReport, RowRejection};
use shared::AppError;
use std::collections::HashMap;
use std::io::Read;
use tokio::task::JoinSet;

/// Readings per write transaction.
pub const DEFAULT_BATCH: usize = 50_000;

/// Why an import stopped before the end.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The header is missing or unusable; nothing was imported.
    #[error("line {}: {}: {}", .0.line, .0.field, .0.reason)]
    Header(RowRejection),
    /// The input could not be read (broken gzip, connection dropped).
    #[error("reading the input failed: {0}")]
    Input(#[from] std::io::Error),
    /// The database refused a write.
    #[error("storage failed: {0}")]
    Storage(#[from] DbErr),
}

impl ImportError {
    /// The error as the API tells it: input problems are the caller's, storage is ours.
    pub fn into_app_error(self) -> AppError {
        match self {
            Self::Header(r) => {
                AppError::validation(r.field.clone(), format!("line {}: {}", r.line, r.reason))
            }
            Self::Input(e) => AppError::BadRequest {
                message: format!("the body could not be read: {e}"),
            },
            Self::Storage(e) => internal("import", &e),
        }
    }
}

/// External id → node id for one tenant.
pub async fn node_map(
    db: &DatabaseConnection,
    tenant_id: i64,
) -> Result<HashMap<String, i64>, DbErr> {
    Ok(nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.external_id, n.id))
        .collect())
}

/// Resolves node ids inside the tenant; readings of unknown nodes are rejected in `report`.
fn resolve(
    nodes: &HashMap<String, i64>,
    parsed: Vec<ParsedReading>,
    report: &mut ImportReport,
) -> Vec<NewReading> {
    let mut rows = Vec::with_capacity(parsed.len());
    for r in parsed {
        match nodes.get(&r.node) {
            Some(&node_id) => rows.push(NewReading {
                node_id,
                metric: r.metric,
                ts: r.ts,
                value: r.value,
                quality: r.quality,
            }),
            None => report.reject(r.line, "node_id", format!("unknown node `{}`", r.node)),
        }
    }
    rows
}

/// Resolves and writes parsed readings, adding the outcome to `report`.
pub async fn write_parsed(
    db: &DatabaseConnection,
    live: Option<&Live>,
    tenant_id: i64,
    nodes: &HashMap<String, i64>,
    parsed: Vec<ParsedReading>,
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    let rows = resolve(nodes, parsed, report);
    write_resolved(db, live, tenant_id, rows, report).await
}

/// Writes resolved readings, adding the outcome to `report`.
async fn write_resolved(
    db: &DatabaseConnection,
    live: Option<&Live>,
    tenant_id: i64,
    rows: Vec<NewReading>,
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    let counts = readings::upsert(db, tenant_id, &rows).await?;
    if let Some(live) = live {
        live.readings_stored(tenant_id, &rows).await;
    }
    report.inserted += counts.inserted;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    Ok(())
}

/// Shows the report so far, counting the rows a bulk load holds (not stored until it
/// finishes) as inserted.
fn show(
    report: &mut ImportReport,
    bulk: Option<&readings::BulkLoad>,
    progress: &mut impl FnMut(&ImportReport),
) {
    let pending = bulk.map_or(0, |b| b.pending());
    report.inserted += pending;
    progress(report);
    report.inserted -= pending;
}

/// Adds a finished batch's outcome to the report.
fn merge(
    report: &mut ImportReport,
    done: Result<Result<ImportReport, DbErr>, tokio::task::JoinError>,
) -> Result<(), ImportError> {
    let part = done.map_err(|e| DbErr::Custom(format!("import writer stopped: {e}")))??;
    report.inserted += part.inserted;
    report.updated += part.updated;
    report.unchanged += part.unchanged;
    for r in part.rejections {
        report.reject(r.line, r.field, r.reason);
    }
    Ok(())
}

/// Imports a readings CSV (long or wide, plain or gzip) into `tenant_id`.
/// `progress` is called after every batch with the report so far.
pub async fn import_readings<R: Read + Send + 'static>(
    db: &DatabaseConnection,
    tenant_id: i64,
    input: R,
    batch_rows: usize,
    progress: impl FnMut(&ImportReport) + Send,
) -> Result<ImportReport, ImportError> {
    import_readings_live(db, None, tenant_id, input, batch_rows, progress).await
}

/// [`import_readings`], announcing each stored batch through `live` (cache invalidation and
/// live events) when given.
pub async fn import_readings_live<R: Read + Send + 'static>(
    db: &DatabaseConnection,
    live: Option<Live>,
    tenant_id: i64,
    input: R,
    batch_rows: usize,
    mut progress: impl FnMut(&ImportReport) + Send,
) -> Result<ImportReport, ImportError> {
    let nodes = node_map(db, tenant_id).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch, RowRejection>>(2);
    // Returns the time the parser spent waiting for the writer (the rest of its life it
    // parsed): which side limits an import's speed.
    let parser = tokio::task::spawn_blocking(move || -> std::io::Result<std::time::Duration> {
        let mut waited = std::time::Duration::ZERO;
        let mut csv = match ReadingsCsv::new(maybe_gzip(input)?) {
            Ok(csv) => csv,
            Err(header) => {
                let _ = tx.blocking_send(Err(header));
                return Ok(waited);
            }
        };
        while let Some(batch) = csv.next_batch(batch_rows.max(1)) {
            let t = std::time::Instant::now();
            if tx.blocking_send(Ok(batch)).is_err() {
                break; // the writer stopped
            }
            waited += t.elapsed();
        }
        Ok(waited)
    });
    // PostgreSQL takes two batches at once (one backend per connection, so the second core
    // works too); SQLite has one writer at a time anyway.
    let in_flight_max = match db.get_database_backend() {
        DbBackend::Postgres => 2,
        _ => 1,
    };
    // Months without a partition yet are loaded whole (PostgreSQL; see `readings::BulkLoad`).
    let mut bulk = readings::BulkLoad::start(db, tenant_id).await?;
    let mut writers: JoinSet<Result<ImportReport, DbErr>> = JoinSet::new();
    let mut report = ImportReport::default();
    let started = std::time::Instant::now();
    while let Some(message) = rx.recv().await {
        let batch = message.map_err(ImportError::Header)?;
        for r in batch.rejections {
            report.reject(r.line, r.field, r.reason);
        }
        let mut rows = resolve(&nodes, batch.readings, &mut report);
        if let Some(bulk) = bulk.as_mut() {
            rows = bulk.take(rows).await?;
            if rows.is_empty() {
                show(&mut report, Some(&*bulk), &mut progress);
                continue;
            }
        }
        if writers.len() >= in_flight_max {
            if let Some(done) = writers.join_next().await {
                merge(&mut report, done)?;
                show(&mut report, bulk.as_ref(), &mut progress);
            }
        }
        let (db, live) = (db.clone(), live.clone());
        writers.spawn(async move {
            let mut part = ImportReport::default();
            write_resolved(&db, live.as_ref(), tenant_id, rows, &mut part).await?;
            Ok(part)
        });
    }
    while let Some(done) = writers.join_next().await {
        merge(&mut report, done)?;
        show(&mut report, bulk.as_ref(), &mut progress);
    }
    if let Some(bulk) = bulk {
        let done = bulk.finish().await?;
        report.inserted += done.counts.inserted;
        report.updated += done.counts.updated;
        report.unchanged += done.counts.unchanged;
        if let Some(live) = &live {
            live.readings_stored(tenant_id, &done.latest).await;
        }
        progress(&report);
    }
    let writing = started.elapsed();
    let parser_waited = parser
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    let t = std::time::Instant::now();
    let hours = rollups::refresh(db).await?;
    tracing::info!(
        accepted = report.accepted(),
        rejected = report.rejected,
        total_s = started.elapsed().as_secs_f64(),
        writing_s = writing.as_secs_f64(),
        parser_waited_s = parser_waited.as_secs_f64(),
        rollup_hours = hours,
        rollups_s = t.elapsed().as_secs_f64(),
        "readings import finished"
    );
    report.rejections.sort_by_key(|r| r.line);
    Ok(report)
}

/// Imports readings sent as a JSON array (see `readings_json`) into `tenant_id`.
pub async fn import_json(
    db: &DatabaseConnection,
    live: Option<&Live>,
    tenant_id: i64,
    items: &[serde_json::Value],
) -> Result<ImportReport, ImportError> {
    let (parsed, rejections) = super::readings_json::parse(items);
    let mut report = ImportReport::default();
    for r in rejections {
        report.reject(r.line, r.field, r.reason);
    }
    let nodes = node_map(db, tenant_id).await?;
    write_parsed(db, live, tenant_id, &nodes, parsed, &mut report).await?;
    rollups::refresh(db).await?;
    report.rejections.sort_by_key(|r| r.line);
    Ok(report)
}

/// Creates or updates the nodes (and districts) of a nodes CSV in `tenant_id`.
/// `inserted` counts new nodes, `updated` changed ones, `unchanged` the rest.
pub async fn import_nodes<R: Read>(
    db: &DatabaseConnection,
    tenant_id: i64,
    input: R,
) -> Result<ImportReport, ImportError> {
    let (parsed, rejections) = nodes_csv::parse(input).map_err(ImportError::Header)?;
    let mut report = ImportReport::default();
    for r in rejections {
        report.reject(r.line, r.field, r.reason);
    }
    let mut district_ids: HashMap<String, i64> = districts::Entity::find()
        .filter(districts::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.name, d.id))
        .collect();
    let mut existing: HashMap<String, nodes::Model> = nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.external_id.clone(), n))
        .collect();
    let now = Utc::now();
    for node in parsed {
        let district_id = match &node.district {
            None => None,
            Some(name) => Some(match district_ids.get(name) {
                Some(id) => *id,
                None => {
                    let id = districts::ActiveModel {
                        tenant_id: Set(tenant_id),
                        name: Set(name.clone()),
                        created_at: Set(now),
                        ..Default::default()
                    }
                    .insert(db)
                    .await?
                    .id;
                    district_ids.insert(name.clone(), id);
                    id
                }
            }),
        };
        upsert_node(
            db,
            tenant_id,
            &node,
            district_id,
            &mut existing,
            &mut report,
        )
        .await?;
    }
    report.rejections.sort_by_key(|r| r.line);
    Ok(report)
}

async fn upsert_node(
    db: &DatabaseConnection,
    tenant_id: i64,
    node: &ParsedNode,
    district_id: Option<i64>,
    existing: &mut HashMap<String, nodes::Model>,
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    let kind = node.kind.as_str().to_owned();
    match existing.get(&node.external_id) {
        Some(current) => {
            let same = current.name == node.name
                && current.kind == kind
                && current.district_id == district_id
                && current.latitude == node.lat
                && current.longitude == node.lon
                && current.elevation == node.elevation;
            if same {
                report.unchanged += 1;
                return Ok(());
            }
            let mut active = current.clone().into_active_model();
            active.name = Set(node.name.clone());
            active.kind = Set(kind);
            active.district_id = Set(district_id);
            active.latitude = Set(node.lat);
            active.longitude = Set(node.lon);
            active.elevation = Set(node.elevation);
            let updated = active.update(db).await?;
            existing.insert(node.external_id.clone(), updated);
            report.updated += 1;
        }
        None => {
            let created = nodes::ActiveModel {
                tenant_id: Set(tenant_id),
                external_id: Set(node.external_id.clone()),
                name: Set(node.name.clone()),
                kind: Set(kind),
                district_id: Set(district_id),
                latitude: Set(node.lat),
                longitude: Set(node.lon),
                elevation: Set(node.elevation),
                metadata: Set(None),
                active: Set(true),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await?;
            existing.insert(node.external_id.clone(), created);
            report.inserted += 1;
        }
    }
    Ok(())
}

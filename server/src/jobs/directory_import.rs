//! The import folder: CSV files (readings, long or wide, or nodes; plain or gzip) dropped in
//! `IMPORT_DIR/<tenant-slug>/` are imported once each. A file's content is claimed by its
//! SHA-256 in `imported_files` before the import, so a file renamed, copied twice or seen by
//! several replicas is still imported once; afterwards it moves to `done/` (or `failed/`).

use super::{Job, JobContext, JobReport};
use crate::ingest::import::{import_nodes, import_readings_live, DEFAULT_BATCH};
use crate::ingest::input::maybe_gzip;
use crate::storage::entities::{imported_files, tenants};
use async_trait::async_trait;
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A file must be this old before it is taken (so half-written files are left alone).
const SETTLE: std::time::Duration = std::time::Duration::from_secs(5);
/// A claim older than this whose import never finished (the process died) is taken over.
fn abandoned_after() -> Duration {
    Duration::hours(1)
}

/// Imports the files of the tenant's import folder.
pub struct DirectoryImport {
    /// `IMPORT_DIR`.
    pub root: PathBuf,
}

fn sha256_of(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), bytes))
}

/// Whether the (possibly gzipped) file is a nodes file (`node_id,name,…` header).
fn is_nodes_file(path: &Path) -> std::io::Result<bool> {
    let mut reader = BufReader::new(maybe_gzip(std::fs::File::open(path)?)?);
    let mut header = String::new();
    reader.read_line(&mut header)?;
    let header = header.trim_start_matches('\u{feff}').to_ascii_lowercase();
    Ok(header.starts_with("node_id,name"))
}

/// The files ready to take, by name.
fn ready_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_lowercase();
        let meta = entry.metadata()?;
        let settled = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age >= SETTLE);
        if meta.is_file()
            && settled
            && !name.starts_with('.')
            && (name.ends_with(".csv") || name.ends_with(".csv.gz"))
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn move_to(path: &Path, folder: &str) {
    let Some(dir) = path.parent().map(|p| p.join(folder)) else {
        return;
    };
    let target = dir.join(path.file_name().unwrap_or_default());
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::rename(path, &target)) {
        tracing::warn!(file = %path.display(), error = %e, "could not move an imported file");
    }
}

impl DirectoryImport {
    /// Claims the content `sha` for `tenant_id`; false when it was imported (or is being
    /// imported) already.
    async fn claim(
        &self,
        ctx: &JobContext,
        sha: &str,
        name: &str,
        bytes: u64,
    ) -> Result<bool, DbErr> {
        let now = Utc::now();
        let inserted = imported_files::Entity::insert(imported_files::ActiveModel {
            tenant_id: Set(ctx.tenant_id),
            sha256: Set(sha.to_owned()),
            file_name: Set(name.to_owned()),
            bytes: Set(bytes as i64),
            started_at: Set(now),
            finished_at: Set(None),
            status: Set("importing".into()),
            inserted: Set(0),
            updated: Set(0),
            rejected: Set(0),
            error: Set(None),
        })
        .on_conflict(
            OnConflict::columns([
                imported_files::Column::TenantId,
                imported_files::Column::Sha256,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&ctx.db)
        .await?;
        if inserted == 1 {
            return Ok(true);
        }
        // Taken over only if an earlier import died half-way.
        let taken = imported_files::Entity::update_many()
            .col_expr(imported_files::Column::StartedAt, Expr::value(now))
            .filter(imported_files::Column::TenantId.eq(ctx.tenant_id))
            .filter(imported_files::Column::Sha256.eq(sha))
            .filter(imported_files::Column::Status.eq("importing"))
            .filter(imported_files::Column::StartedAt.lt(now - abandoned_after()))
            .exec(&ctx.db)
            .await?;
        Ok(taken.rows_affected == 1)
    }

    async fn record(
        &self,
        ctx: &JobContext,
        sha: &str,
        outcome: &Result<shared::ingest::ImportReport, String>,
    ) -> Result<(), DbErr> {
        let mut update = imported_files::Entity::update_many()
            .col_expr(imported_files::Column::FinishedAt, Expr::value(Utc::now()));
        update = match outcome {
            Ok(r) => update
                .col_expr(imported_files::Column::Status, Expr::value("imported"))
                .col_expr(
                    imported_files::Column::Inserted,
                    Expr::value(r.inserted as i64),
                )
                .col_expr(
                    imported_files::Column::Updated,
                    Expr::value(r.updated as i64),
                )
                .col_expr(
                    imported_files::Column::Rejected,
                    Expr::value(r.rejected as i64),
                ),
            Err(e) => update
                .col_expr(imported_files::Column::Status, Expr::value("failed"))
                .col_expr(imported_files::Column::Error, Expr::value(e.clone())),
        };
        update
            .filter(imported_files::Column::TenantId.eq(ctx.tenant_id))
            .filter(imported_files::Column::Sha256.eq(sha))
            .exec(&ctx.db)
            .await?;
        Ok(())
    }

    async fn import(
        &self,
        ctx: &JobContext,
        path: &Path,
    ) -> Result<shared::ingest::ImportReport, String> {
        let nodes = is_nodes_file(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let file = std::fs::File::open(path).map_err(|e| format!("opening: {e}"))?;
        let result = if nodes {
            import_nodes(
                &ctx.db,
                ctx.tenant_id,
                maybe_gzip(file).map_err(|e| e.to_string())?,
            )
            .await
        } else {
            import_readings_live(
                &ctx.db,
                Some(ctx.live.clone()),
                ctx.tenant_id,
                file,
                DEFAULT_BATCH,
                |_| {},
            )
            .await
        };
        result.map_err(|e| e.to_string())
    }
}

#[async_trait]
impl Job for DirectoryImport {
    fn name(&self) -> &'static str {
        "directory_import"
    }

    fn description(&self) -> &'static str {
        "Imports CSV files dropped in the tenant's import folder, each once"
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let Some(tenant) = tenants::Entity::find_by_id(ctx.tenant_id)
            .one(&ctx.db)
            .await?
        else {
            return Ok(JobReport::default());
        };
        let dir = self.root.join(&tenant.slug);
        if !dir.is_dir() {
            return Ok(JobReport {
                rows: 0,
                detail: format!("no folder {}", dir.display()),
            });
        }
        let (mut rows, mut imported, mut failed, mut skipped) = (0u64, Vec::new(), 0u64, 0u64);
        for path in ready_files(&dir)? {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let (sha, bytes) = sha256_of(&path)?;
            if !self.claim(ctx, &sha, &name, bytes).await? {
                skipped += 1;
                move_to(&path, "done");
                continue;
            }
            let outcome = self.import(ctx, &path).await;
            self.record(ctx, &sha, &outcome).await?;
            match &outcome {
                Ok(report) => {
                    rows += report.inserted + report.updated;
                    imported.push(format!(
                        "{name} ({} new, {} changed, {} rejected)",
                        report.inserted, report.updated, report.rejected
                    ));
                    move_to(&path, "done");
                }
                Err(e) => {
                    tracing::warn!(file = %name, error = %e, "import folder file failed");
                    failed += 1;
                    move_to(&path, "failed");
                }
            }
        }
        let mut detail = if imported.is_empty() {
            "no new files".to_owned()
        } else {
            format!("imported {}", imported.join(", "))
        };
        if failed > 0 {
            detail.push_str(&format!("; {failed} failed (moved to failed/)"));
        }
        if skipped > 0 {
            detail.push_str(&format!("; {skipped} already imported"));
        }
        Ok(JobReport { rows, detail })
    }
}

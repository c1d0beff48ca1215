//! Opening the database and bringing its schema up to date.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use std::time::Duration;

/// Connects to `url`, creating the SQLite file's folder when needed, and applies migrations.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = sqlite_file(url) {
        if let Some(dir) = std::path::Path::new(&path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Per connection, so every pooled SQLite connection gets them: WAL lets readers (the
        // dashboard) run while a writer (an import) commits; foreign keys are enforced; a
        // writer waits for another process's write instead of failing at once.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
        });
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        if super::tenant_scope::enforced(&db).await? {
            tracing::info!("row-level security on: request handlers see one tenant's rows");
        } else {
            tracing::warn!(
                "row-level security is off: the database user may not create or use the role \
                 {}; tenants are kept apart by the application's checks only",
                migrations::TENANT_ROLE
            );
        }
    }
    Ok(db)
}

/// The file path of a `sqlite://` URL, without its query string (None for memory databases).
fn sqlite_file(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            sqlite_file("sqlite://data/roccavina.db?mode=rwc").as_deref(),
            Some("data/roccavina.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}

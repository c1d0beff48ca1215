//! Everything stored in the relational database (SQLite on the embedded default,
//! PostgreSQL when configured), through sea-orm.

pub mod connect;
pub mod entities;
pub mod partitions;
pub mod readings;
pub mod retention;
pub mod rollups;
pub mod sql;
pub mod tenant_scope;

pub use connect::connect;

/// Writers of multi-statement SQLite transactions in this process queue on this lock
/// (SQLite allows one writer at a time).
static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// While held, this process's other SQLite write transactions wait.
pub type WriterGuard = Option<tokio::sync::MutexGuard<'static, ()>>;

/// Begins a transaction that will write. On SQLite it takes the database's write lock at
/// once: a transaction that first reads and later writes would otherwise fail with
/// "database is locked" (instead of waiting) when another connection committed meanwhile.
/// Keep the guard alive until the transaction ends.
pub async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<(WriterGuard, sea_orm::DatabaseTransaction), sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok((None, db.begin().await?));
    }
    let guard = SQLITE_WRITER.lock().await;
    let txn = db.begin().await?;
    // A write statement (that changes nothing) takes SQLite's write lock now, waiting for
    // other processes' writers through the busy timeout.
    txn.execute_unprepared("DELETE FROM rollup_dirty WHERE 0 = 1")
        .await?;
    Ok((Some(guard), txn))
}

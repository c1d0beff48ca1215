//! Everything stored in the relational database (SQLite on the embedded default,
//! PostgreSQL when configured), through sea-orm.

pub mod connect;
pub mod entities;
pub mod partitions;
pub mod readings;
pub mod retention;
pub mod rollups;
pub mod sql;

pub use connect::connect;

/// Writers of multi-statement SQLite transactions in this process queue on this lock
/// (SQLite allows one writer at a time; see `readings::sqlite::upsert`).
pub(crate) static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

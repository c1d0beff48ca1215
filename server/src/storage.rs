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

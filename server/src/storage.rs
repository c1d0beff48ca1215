//! Everything stored in the relational database (SQLite on the embedded default,
//! PostgreSQL when configured), through sea-orm.

pub mod connect;
pub mod entities;
pub mod readings;
pub mod sql;

pub use connect::connect;

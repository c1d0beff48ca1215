//! Getting readings and nodes in: CSV (long and wide shapes, plain or gzip) and JSON,
//! parsed as a stream with bounded memory, validated row by row (bad rows are reported with
//! their line and reason; good rows in the same input are kept), written idempotently.

pub mod import;
pub mod input;
pub mod nodes_csv;
pub mod readings_csv;
pub mod readings_json;

pub use import::{import_nodes, import_readings, ImportError};

//! Numbers for the main dashboard.

mod get_summary;

pub use get_summary::{get_summary, GetSummary};

//! Numbers for the main dashboard.

mod get_overview;
mod get_period;
mod get_summary;
mod list_districts;

pub use get_overview::{get_overview, GetOverview};
pub use get_period::{get_period, GetPeriod};
pub use get_summary::{get_summary, GetSummary};
pub use list_districts::{list_districts, ListDistricts};

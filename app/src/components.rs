//! Pieces shared by several pages.

pub mod echart;
pub mod error_box;
pub mod header;
pub mod protected;
pub mod series_chart;
pub mod tenant_switcher;

/// A time as the pages print it: `2026-11-27 19:59 UTC`.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    shared::clock::utc_minute(at)
}

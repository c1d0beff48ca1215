//! Pieces shared by several pages.

pub mod echart;
pub mod error_box;
pub mod header;
pub mod protected;
pub mod series_chart;
pub mod tenant_switcher;

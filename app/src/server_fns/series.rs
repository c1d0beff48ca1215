//! Chart data.

mod get_series;

pub use get_series::{get_series, GetSeries};

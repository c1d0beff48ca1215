//! Network efficiency figures.

mod get_efficiency;

pub use get_efficiency::{get_efficiency, GetEfficiency};

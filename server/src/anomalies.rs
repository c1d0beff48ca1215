//! The anomaly detector inside the server: the data window it scans (`window`), one run as the
//! 15-minute job and the replay command perform it (`engine`), incidents in the database
//! (`store`), the operators' port (`service`) and the replay command (`replay`).
//!
//! The detection method itself lives in the `analytics` crate (pure, no I/O).

pub mod engine;
pub mod replay;
pub mod service;
pub mod store;
pub mod window;

pub use engine::{AnomalyEngine, TickReport};
pub use service::AnomalyService;

//! Water-network analytics as pure functions over in-memory series: the anomaly detector and the
//! incident tracker that turns its per-step signals into incidents.
//!
//! No I/O and no async: the server loads readings into a [`Panel`], calls [`Detector::scan`] and
//! persists what the [`IncidentTracker`] reports. Keeping this crate free of the server's
//! dependencies makes it fast to build, to test and to benchmark.

pub mod baseline;
pub mod detector;
pub mod efficiency;
pub mod faults;
pub mod forecast;
pub mod hydraulic;
pub mod incidents;
pub mod panel;
pub mod stats;
pub mod synth;
pub mod zones;

pub use detector::{Detector, DetectorConfig, StepSignals};
pub use incidents::{Incident, IncidentKind, IncidentTracker, TrackerEvent};
pub use panel::{Panel, SensorKind, Series};

//! Incidents of the anomaly detector: the list, one incident, and the operators' actions.

mod act_on_incident;
mod get_incident;
mod list_incidents;

pub use act_on_incident::{act_on_incident, ActOnIncident};
pub use get_incident::{get_incident, GetIncident};
pub use list_incidents::{list_incidents, ListIncidents};

//! One module per route.

pub mod account;
pub mod admin;
pub mod anomalies;
pub mod dashboard;
pub mod diagnostics;
pub mod incident;
pub mod login;
pub mod monitoring;
pub mod node;
pub mod not_found;
pub mod overview;
pub mod register;

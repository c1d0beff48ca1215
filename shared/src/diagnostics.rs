//! The administrator's diagnostics: what this deployment runs on and whether each part
//! answers, checked when asked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How one part is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Answers and works.
    Ok,
    /// Works, with something an administrator should look at.
    Warning,
    /// Does not answer or fails.
    Failed,
    /// Not configured (e.g. no warehouse): nothing to check.
    Off,
}

impl CheckStatus {
    /// The word shown next to the colour.
    pub const fn label(self) -> &'static str {
        match self {
            CheckStatus::Ok => "OK",
            CheckStatus::Warning => "Warning",
            CheckStatus::Failed => "Failed",
            CheckStatus::Off => "Not configured",
        }
    }

    /// Stable name (CSS class, tests).
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warning => "warning",
            CheckStatus::Failed => "failed",
            CheckStatus::Off => "off",
        }
    }
}

/// One check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DiagnosticCheck {
    /// What was checked (`database`, `cache`, …).
    pub name: String,
    pub status: CheckStatus,
    /// What it runs on and what was found, in words.
    pub detail: String,
    /// Round trip of the check, when it made one.
    pub latency_ms: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Diagnostics {
    /// The server's version.
    pub version: String,
    pub checked_at: DateTime<Utc>,
    pub checks: Vec<DiagnosticCheck>,
}

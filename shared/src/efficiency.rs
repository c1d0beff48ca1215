//! Network efficiency figures (IWA water balance) per district and period.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Length of a period the figures cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Hour,
    Day,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Hour, Self::Day]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// The water balance of one district (or the whole network) over one period.
///
/// Formulas: input and metered volumes integrate the hourly mean flows of inlet meters (node
/// kind `flow`) and customer meters (kind `meter`), m³ = L/s × s / 1000; non-revenue water =
/// input − metered; MNF = mean inflow 02:00–04:00 local; net night flow = MNF − 1.7 L/h per
/// connection; real losses = net night flow × night-day factor (Σ hourly pressure / night
/// pressure, 24 h without pressure data); UARL = (18·Lm + 0.8·Nc + 25·Lp)·P (L/day, P in m);
/// ILI = real losses / UARL. Day figures only for MNF, real losses, UARL and ILI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EfficiencyRow {
    /// District name; none for the whole network.
    pub district: Option<String>,
    pub period: Period,
    /// Start of the period (local midnight for days, in UTC).
    pub start: DateTime<Utc>,
    /// Hours of the period with inflow data.
    pub hours_covered: i32,
    /// System input volume, m³.
    pub input_m3: f64,
    /// Metered consumption, m³ (none where the district has no customer meters).
    pub metered_m3: Option<f64>,
    /// Non-revenue water, m³ and % of input.
    pub nrw_m3: Option<f64>,
    pub nrw_pct: Option<f64>,
    /// Non-revenue water per service connection per day, litres.
    pub nrw_l_per_connection_day: Option<f64>,
    /// Minimum night flow (02:00–04:00 local), L/s.
    pub mnf_lps: Option<f64>,
    /// Net night flow (MNF less legitimate night use), L/s.
    pub net_night_flow_lps: Option<f64>,
    /// Estimated real losses of the day, m³.
    pub real_losses_m3: Option<f64>,
    /// Unavoidable real losses of the day, m³.
    pub uarl_m3: Option<f64>,
    /// Infrastructure Leakage Index.
    pub ili: Option<f64>,
    /// Mean pressure over the period, bar.
    pub avg_pressure_bar: Option<f64>,
}

/// Filters of an efficiency query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// A district's name; the whole network when absent.
    pub district: Option<String>,
    pub period: Period,
}

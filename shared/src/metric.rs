//! What a sensor measures, in which unit, and which values are physically possible.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A measured quantity. Stored by its `as_str` name; shown with its `unit`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Instantaneous flow, litres per second.
    FlowRate,
    /// Gauge pressure, bar.
    Pressure,
    /// Water temperature, degrees Celsius.
    Temperature,
    /// Cumulative totaliser volume, cubic metres.
    Volume,
    /// Tank or reservoir level, metres.
    Level,
    /// Free chlorine, milligrams per litre.
    Chlorine,
    /// Turbidity, nephelometric turbidity units.
    Turbidity,
    /// Acidity, pH units.
    Ph,
}

impl Metric {
    /// Every metric, in display order.
    pub const ALL: [Metric; 8] = [
        Metric::FlowRate,
        Metric::Pressure,
        Metric::Temperature,
        Metric::Volume,
        Metric::Level,
        Metric::Chlorine,
        Metric::Turbidity,
        Metric::Ph,
    ];

    /// The stable name used in storage, CSV files and URLs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Metric::FlowRate => "flow_rate",
            Metric::Pressure => "pressure",
            Metric::Temperature => "temperature",
            Metric::Volume => "volume",
            Metric::Level => "level",
            Metric::Chlorine => "chlorine",
            Metric::Turbidity => "turbidity",
            Metric::Ph => "ph",
        }
    }

    /// The compact code stored in the `readings` tables (stable: never renumber).
    pub const fn code(self) -> i16 {
        match self {
            Metric::FlowRate => 1,
            Metric::Pressure => 2,
            Metric::Temperature => 3,
            Metric::Volume => 4,
            Metric::Level => 5,
            Metric::Chlorine => 6,
            Metric::Turbidity => 7,
            Metric::Ph => 8,
        }
    }

    /// The metric stored under `code`.
    pub fn from_code(code: i16) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The unit symbol shown next to values and on chart axes.
    pub const fn unit(self) -> &'static str {
        match self {
            Metric::FlowRate => "L/s",
            Metric::Pressure => "bar",
            Metric::Temperature => "°C",
            Metric::Volume => "m³",
            Metric::Level => "m",
            Metric::Chlorine => "mg/L",
            Metric::Turbidity => "NTU",
            Metric::Ph => "pH",
        }
    }

    /// A human label for headings.
    pub const fn label(self) -> &'static str {
        match self {
            Metric::FlowRate => "Flow",
            Metric::Pressure => "Pressure",
            Metric::Temperature => "Temperature",
            Metric::Volume => "Volume",
            Metric::Level => "Level",
            Metric::Chlorine => "Chlorine",
            Metric::Turbidity => "Turbidity",
            Metric::Ph => "pH",
        }
    }

    /// Inclusive range of values a working sensor can report; anything outside is rejected.
    ///
    /// Generous on purpose: these bounds catch unit mistakes and broken loggers, not anomalies.
    pub const fn physical_range(self) -> (f64, f64) {
        match self {
            Metric::FlowRate => (-10_000.0, 100_000.0),
            Metric::Pressure => (-1.0, 60.0),
            Metric::Temperature => (-5.0, 60.0),
            Metric::Volume => (0.0, 1.0e12),
            Metric::Level => (-50.0, 500.0),
            Metric::Chlorine => (0.0, 20.0),
            Metric::Turbidity => (0.0, 4_000.0),
            Metric::Ph => (0.0, 14.0),
        }
    }

    /// Whether `value` is a finite number within [`Metric::physical_range`].
    pub fn accepts(self, value: f64) -> bool {
        let (lo, hi) = self.physical_range();
        value.is_finite() && value >= lo && value <= hi
    }

    /// Formats a value with a sensible number of decimals and its unit.
    pub fn format(self, value: f64) -> String {
        let decimals = match self {
            Metric::Volume => 0,
            Metric::FlowRate | Metric::Level | Metric::Temperature => 1,
            Metric::Pressure | Metric::Ph | Metric::Turbidity => 2,
            Metric::Chlorine => 3,
        };
        format!("{value:.decimals$} {}", self.unit())
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name given was not a known metric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric `{0}`")]
pub struct UnknownMetric(pub String);

impl FromStr for Metric {
    type Err = UnknownMetric;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Metric::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownMetric(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(m.as_str().parse::<Metric>().unwrap(), m);
        }
        assert_eq!("FLOW_RATE".parse::<Metric>().unwrap(), Metric::FlowRate);
        assert_eq!(
            "flow".parse::<Metric>(),
            Err(UnknownMetric("flow".to_string()))
        );
    }

    #[test]
    fn codes_are_unique_and_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_code(m.code()), Some(m));
        }
        assert_eq!(Metric::from_code(0), None);
    }

    #[test]
    fn serde_uses_the_storage_name() {
        assert_eq!(
            serde_json::to_string(&Metric::FlowRate).unwrap(),
            "\"flow_rate\""
        );
    }

    #[test]
    fn rejects_non_finite_and_impossible_values() {
        assert!(Metric::Pressure.accepts(3.2));
        assert!(!Metric::Pressure.accepts(f64::NAN));
        assert!(!Metric::Pressure.accepts(250.0));
        assert!(!Metric::Ph.accepts(14.5));
        assert!(!Metric::Volume.accepts(-1.0));
    }

    #[test]
    fn formats_with_unit() {
        assert_eq!(Metric::Pressure.format(3.2468), "3.25 bar");
        assert_eq!(Metric::FlowRate.format(12.06), "12.1 L/s");
    }
}

//! A panel: several sensors' readings on one regular time grid, missing steps as NaN.

use serde::{Deserialize, Serialize};

/// What a series measures, as far as the detector cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SensorKind {
    /// Pressure in bar: a leak lowers it near the leak.
    Pressure,
    /// Flow rate in L/s at an inlet or transfer main: the sum over meters is the network inflow.
    Flow,
    /// Anything else (quality, level, temperature): checked for faults only.
    Other,
}

/// One sensor's readings for one metric.
#[derive(Clone, Debug)]
pub struct Series {
    /// The node's external id (what the utility calls the sensor).
    pub node: String,
    /// Metric name (`pressure`, `flow_rate`, ...).
    pub metric: String,
    pub kind: SensorKind,
    /// District (DMA) the sensor belongs to, if known.
    pub district: Option<String>,
    /// Physical range of the metric; values outside are faults, not hydraulics.
    pub range: (f64, f64),
    /// A running total (a volume totaliser): it legitimately stands still while nothing flows.
    pub cumulative: bool,
    /// One value per grid step; NaN where no reading arrived.
    pub values: Vec<f64>,
}

/// Readings of many sensors on one grid.
#[derive(Clone, Debug)]
pub struct Panel {
    /// Unix seconds of step 0.
    pub start: i64,
    /// Grid step in seconds (the sensors' reporting interval).
    pub step: i64,
    /// Offset of the network's local time from UTC in seconds (days and nights are local).
    pub utc_offset: i64,
    pub series: Vec<Series>,
}

impl Panel {
    /// Number of grid steps (the longest series).
    pub fn len(&self) -> usize {
        self.series
            .iter()
            .map(|s| s.values.len())
            .max()
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Unix seconds of step `i`.
    pub fn time(&self, i: usize) -> i64 {
        self.start + i as i64 * self.step
    }

    /// Steps per day on this grid.
    pub fn per_day(&self) -> usize {
        (86_400 / self.step.max(1)) as usize
    }

    /// Seconds since local midnight at step `i`.
    pub fn local_seconds_of_day(&self, i: usize) -> i64 {
        (self.time(i) + self.utc_offset).rem_euclid(86_400)
    }

    /// Whether step `i` falls on a local Saturday or Sunday (demand differs on weekends).
    pub fn is_weekend(&self, i: usize) -> bool {
        self.is_weekend_at(self.time(i))
    }

    /// Whether unix second `t` falls on a local Saturday or Sunday.
    pub fn is_weekend_at(&self, t: i64) -> bool {
        let days = (t + self.utc_offset).div_euclid(86_400);
        // 1970-01-01 was a Thursday: 0 = Thu, 2 = Sat, 3 = Sun.
        matches!(days.rem_euclid(7), 2 | 3)
    }

    /// Local day number of step `i` (days since 1970-01-01, local).
    pub fn local_day(&self, i: usize) -> i64 {
        (self.time(i) + self.utc_offset).div_euclid(86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_of_a_known_date() {
        // 2026-01-10 is a Saturday; 23:30 UTC is 00:30 on Sunday in UTC+1.
        let p = Panel {
            start: 1_768_087_800,
            step: 900,
            utc_offset: 3600,
            series: vec![],
        };
        assert_eq!(p.local_seconds_of_day(0), 1800);
        assert!(p.is_weekend(0));
        assert_eq!(p.per_day(), 96);
        // Monday 00:30 local, two days later
        assert!(!p.is_weekend(192));
    }
}

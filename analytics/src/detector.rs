//! The detector: faults and hydraulic signals of a panel, turned into findings per step.

use crate::faults::{classify_at, clear_shared_spikes, mark_drift, FaultConfig, FaultKind};
use crate::hydraulic::{compute, HydraulicConfig};
use crate::incidents::{Affected, Finding, IncidentKind};
use crate::panel::Panel;

/// Thresholds of the detector. Chosen a priori (robust z-scores), not fitted to a data set.
#[derive(Clone, Copy, Debug)]
pub struct DetectorConfig {
    pub faults: FaultConfig,
    pub hydraulic: HydraulicConfig,
    /// A pressure logger is dropping when its smoothed, common-mode-free residual stays below
    /// `-pressure_k` robust deviations for `persist_steps`.
    pub pressure_k: f64,
    /// A sustained rise is reported only above this (valves, pump schedules).
    pub rise_k: f64,
    pub persist_steps: usize,
    /// Inflow above its baseline by this many deviations supports a leak.
    pub inflow_support_k: f64,
    /// A pressure drop backed by rising inflow counts from this many deviations.
    pub support_floor_k: f64,
    /// Threshold of the day-scale pressure score.
    pub day_k: f64,
    /// Day-scale evidence (a day's mean) counts only while the last hours still show this
    /// share of the day's mean deviation: a repaired leak's day mean lingers for a day.
    pub hold_share: f64,
    /// Inflow above its baseline by this many deviations is a leak on its own.
    pub inflow_k: f64,
    /// Night flow above the previous nights by this many deviations.
    pub night_k: f64,
    /// Affected sensors listed with an incident: those beyond this many deviations.
    pub affected_k: f64,
    /// Steps of grace before a missing reading counts (telemetry arrives late).
    pub missing_grace: usize,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            faults: FaultConfig::default(),
            hydraulic: HydraulicConfig::default(),
            pressure_k: 4.0,
            rise_k: 6.0,
            persist_steps: 4,
            inflow_support_k: 2.0,
            support_floor_k: 3.0,
            day_k: 4.5,
            hold_share: 0.5,
            inflow_k: 5.0,
            night_k: 3.5,
            affected_k: 2.0,
            missing_grace: 1,
        }
    }
}

/// The findings of one step.
#[derive(Clone, Debug)]
pub struct StepSignals {
    pub step: usize,
    pub findings: Vec<Finding>,
}

/// Runs the checks over a panel.
#[derive(Clone, Debug, Default)]
pub struct Detector {
    pub cfg: DetectorConfig,
}

impl Detector {
    pub fn new(cfg: DetectorConfig) -> Self {
        Self { cfg }
    }

    /// Steps of history a run needs before the first step it evaluates.
    pub fn history_steps(&self, per_day: usize) -> usize {
        self.cfg
            .hydraulic
            .history_steps(per_day)
            .max(self.cfg.faults.history_steps)
    }

    /// Findings for every step in `from..panel.len()`, using earlier steps as history only.
    pub fn scan(&self, panel: &Panel, from: usize) -> Vec<StepSignals> {
        let mut masks: Vec<Vec<Option<FaultKind>>> = panel
            .series
            .iter()
            .map(|s| {
                classify_at(
                    s,
                    &self.cfg.faults,
                    panel.start.div_euclid(panel.step.max(1)),
                )
            })
            .collect();
        clear_shared_spikes(&panel.series, &mut masks, &self.cfg.faults);
        mark_drift(panel, &mut masks, &self.cfg.faults);
        let hyd = compute(panel, &masks, from, &self.cfg.hydraulic);
        (from..panel.len())
            .map(|t| {
                let mut findings = self.faults_at(panel, &masks, t);
                findings.extend(self.hydraulics_at(panel, &hyd, t));
                StepSignals { step: t, findings }
            })
            .collect()
    }

    fn faults_at(&self, panel: &Panel, masks: &[Vec<Option<FaultKind>>], t: usize) -> Vec<Finding> {
        let mut out = Vec::new();
        let missing_at = t.checked_sub(self.cfg.missing_grace);
        // A step where most sensors are silent is a feed outage, not many sensor faults.
        let feed_down = missing_at.is_some_and(|m| {
            let silent = masks
                .iter()
                .filter(|k| k[m] == Some(FaultKind::Missing))
                .count();
            silent * 2 > masks.len() && masks.len() > 2
        });
        for (s, mask) in panel.series.iter().zip(masks) {
            let mut check = |step: usize, kind: FaultKind| {
                if mask[step] != Some(kind) {
                    return;
                }
                let mut start = step;
                while start > 0 && mask[start - 1] == Some(kind) {
                    start -= 1;
                }
                out.push(fault_finding(panel, s, kind, start, step));
            };
            if let (Some(m), false) = (missing_at, feed_down) {
                check(m, FaultKind::Missing);
            }
            check(t, FaultKind::Stuck);
            check(t, FaultKind::OutOfRange);
            check(t, FaultKind::Drift);
            if t >= 1 {
                check(t - 1, FaultKind::Spike);
            }
        }
        out
    }
}

pub(super) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn fault_finding(
    panel: &Panel,
    s: &crate::panel::Series,
    kind: FaultKind,
    start: usize,
    step: usize,
) -> Finding {
    let (ikind, words) = match kind {
        FaultKind::Missing => (IncidentKind::SensorMissing, "sent no reading"),
        FaultKind::Stuck => (
            IncidentKind::SensorStuck,
            "has reported exactly the same value",
        ),
        FaultKind::Spike => (
            IncidentKind::SensorSpike,
            "reported a single value far from its neighbours",
        ),
        FaultKind::OutOfRange => (
            IncidentKind::SensorOutOfRange,
            "reported a value outside the metric's physical range",
        ),
        FaultKind::Drift => (
            IncidentKind::SensorDrift,
            "has drifted away from the other loggers of its district (of the network where the district has fewer than three) a little more every day",
        ),
    };
    let steps = step - start + 1;
    let value = s.values[step];
    Finding {
        opens: true,
        renewed: false,
        kind: ikind,
        key: format!("{}:{}/{}", kind.as_str(), s.node, s.metric),
        at: panel.time(step),
        start: panel.time(start),
        score: steps as f64,
        district: s.district.clone(),
        affected: vec![Affected {
            node: s.node.clone(),
            metric: s.metric.clone(),
            score: 0.0,
            expected: None,
            actual: finite(value),
            since: 0,
            seen: 0,
        }],
        explanation: format!(
            "{} ({}) {} for {} step(s) of {} min: a sensor or telemetry fault, not a hydraulic event.",
            s.node,
            s.metric,
            words,
            steps,
            panel.step / 60
        ),
    }
}

mod hydraulics;
#[cfg(test)]
mod tests;

//! The detector: faults and hydraulic signals of a panel, turned into findings per step.

use crate::faults::{classify, clear_shared_spikes, mark_drift, FaultConfig, FaultKind};
use crate::hydraulic::{compute, HydraulicConfig, Hydraulics};
use crate::incidents::{Affected, Finding, IncidentKind};
use crate::panel::{Panel, SensorKind};

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
            .map(|s| classify(s, &self.cfg.faults))
            .collect();
        clear_shared_spikes(&mut masks);
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

    fn hydraulics_at(&self, panel: &Panel, hyd: &Hydraulics, t: usize) -> Vec<Finding> {
        let c = &self.cfg;
        let persistent = |z: &[f64], pred: &dyn Fn(f64) -> bool| {
            t + 1 >= c.persist_steps
                && (t + 1 - c.persist_steps..=t).all(|k| z[k].is_finite() && pred(z[k]))
        };
        let mut ranked: Vec<(usize, f64)> = hyd
            .pressure
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i, s.z[t])))
            .filter(|(_, z)| z.is_finite())
            .collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
        let affected: Vec<Affected> = ranked
            .iter()
            .filter(|(_, z)| *z <= -c.affected_k)
            .map(|&(i, z)| pressure_affected(panel, hyd, i, t, z))
            .collect();
        let inflow = hyd.inflow.as_ref();
        let inflow_z = inflow.map_or(f64::NAN, |q| q.z[t]);
        let q_at = |k: usize, day: bool| {
            inflow.map_or(f64::NAN, |q| if day { q.z_day[k] } else { q.z[k] })
        };
        // A logger is dropping when it stays low, on the scale of hours or of a day, either far
        // below normal or less far with the inflow rising at the same time (the two together are
        // stronger evidence than either alone).
        let low = |i: usize, k: usize, day: bool| {
            let sc = hyd.pressure[i].as_ref().expect("pressure");
            let (z, q, k_alone) = if day {
                (sc.z_day[k], q_at(k, true), c.day_k)
            } else {
                (sc.z[k], q_at(k, false), c.pressure_k)
            };
            let q = if q.is_finite() { q.max(0.0) } else { 0.0 };
            // Below the rest of the network and below its own usual level: when one district
            // drops, the others only look high against the network, and the reverse.
            sc.own[k] < 0.0
                && z.is_finite()
                && z <= -c.support_floor_k
                && (z <= -k_alone || q - z >= k_alone + c.inflow_support_k)
        };
        let persists = |i: usize, day: bool| {
            t + 1 >= c.persist_steps && (t + 1 - c.persist_steps..=t).all(|k| low(i, k, day))
        };
        let dropping: Vec<(usize, bool)> = ranked
            .iter()
            .filter_map(|&(i, _)| {
                if persists(i, false) {
                    Some((i, false))
                } else if persists(i, true) {
                    Some((i, true))
                } else {
                    None
                }
            })
            .collect();
        let mut out = Vec::new();
        let at = panel.time(t);

        if let Some(&(top, day)) = dropping.first() {
            let s = &panel.series[top];
            let sc = hyd.pressure[top].as_ref().expect("pressure");
            let zs = if day { &sc.z_day } else { &sc.z };
            let z = zs[t];
            let q = q_at(t, day);
            let start = panel.time(onset(zs, t, |z| z <= -c.affected_k));
            let district = s.district.clone();
            let span = if day {
                "over the last day"
            } else {
                "for over an hour"
            };
            if q >= c.inflow_support_k {
                out.push(Finding {
                    kind: IncidentKind::Leak,
                    key: format!("leak:{}", district.as_deref().unwrap_or("network")),
                    at,
                    start,
                    score: z,
                    district,
                    affected: with_inflow(affected.clone(), panel, hyd, t),
                    explanation: format!(
                        "Pressure at {} has been {:.1} deviations below its usual level {span} while network inflow is {:.1} deviations above: water is leaving the network near {}.",
                        s.node, -z, q, s.node
                    ),
                });
            } else {
                out.push(Finding {
                    kind: IncidentKind::PressureDrop,
                    key: format!("pressure-low:{}", s.node),
                    at,
                    start,
                    score: z,
                    district,
                    affected: affected.clone(),
                    explanation: format!(
                        "Pressure at {} has been {:.1} deviations below its usual level {span}, more than its neighbours explain; inflow shows no matching rise.",
                        s.node, -z
                    ),
                });
            }
        } else if hyd
            .inflow
            .as_ref()
            .is_some_and(|q| persistent(&q.z, &|z| z >= c.inflow_k))
        {
            let q = hyd.inflow.as_ref().expect("inflow");
            out.push(Finding {
                kind: IncidentKind::Leak,
                key: "leak:network".into(),
                at,
                start: panel.time(onset(&q.z, t, |z| z >= c.affected_k)),
                score: inflow_z,
                district: affected.first().and_then(|a| district_of(panel, &a.node)),
                affected: with_inflow(affected.clone(), panel, hyd, t),
                explanation: format!(
                    "Network inflow has stayed {:.1} deviations ({:.1} L/s) above its usual level for this time for over an hour.",
                    inflow_z,
                    q.residual[t]
                ),
            });
        }
        // While loggers drop, the network's common mode is pulled down with them and the others
        // only look high against it: no rise is reported then.
        let rises = if dropping.is_empty() {
            ranked.as_slice()
        } else {
            &[]
        };
        for &(i, z) in rises.iter().rev() {
            let sz = &hyd.pressure[i].as_ref().expect("pressure").z;
            if z < c.rise_k || !persistent(sz, &|z| z >= c.rise_k) {
                break;
            }
            if hyd.pressure[i].as_ref().expect("pressure").own[t] <= 0.0 {
                continue;
            }
            let s = &panel.series[i];
            out.push(Finding {
                kind: IncidentKind::PressureRise,
                key: format!("pressure-high:{}", s.node),
                at,
                start: panel.time(onset(sz, t, |z| z >= c.affected_k)),
                score: z,
                district: s.district.clone(),
                affected: vec![pressure_affected(panel, hyd, i, t, z)],
                explanation: format!("Pressure at {} has stayed {:.1} deviations above its usual level for over an hour.", s.node, z),
            });
        }
        if let Some(night) = hyd.nights.iter().find(|n| n.step == t && n.z >= c.night_k) {
            out.push(Finding {
                kind: IncidentKind::NightFlowRise,
                key: "night-flow:network".into(),
                at,
                start: panel.time(t + 1 - (c.hydraulic.night.1 - c.hydraulic.night.0) as usize / panel.step as usize),
                score: night.z,
                district: None,
                affected: with_inflow(affected, panel, hyd, t),
                explanation: format!(
                    "Minimum night flow was {:.1} L/s against {:.1} L/s on recent nights ({:.1} deviations): a new, steady draw such as a leak.",
                    night.mnf, night.expected, night.z
                ),
            });
        }
        out
    }
}

/// First step of the run ending at `t` where `pred(z)` holds (looking back at most a day).
fn onset(z: &[f64], t: usize, pred: impl Fn(f64) -> bool) -> usize {
    let mut s = t;
    while s > 0 && t - s < 96 && z[s - 1].is_finite() && pred(z[s - 1]) {
        s -= 1;
    }
    s
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn district_of(panel: &Panel, node: &str) -> Option<String> {
    panel
        .series
        .iter()
        .find(|s| s.node == node)
        .and_then(|s| s.district.clone())
}

fn pressure_affected(panel: &Panel, hyd: &Hydraulics, i: usize, t: usize, z: f64) -> Affected {
    let s = &panel.series[i];
    let sc = hyd.pressure[i].as_ref().expect("pressure");
    Affected {
        node: s.node.clone(),
        metric: s.metric.clone(),
        score: z,
        expected: finite(sc.expected[t]),
        actual: finite(s.values[t]),
        since: 0,
    }
}

/// Appends the flow meters whose own reading is above expectation (the inflow's contributors).
fn with_inflow(
    mut affected: Vec<Affected>,
    panel: &Panel,
    hyd: &Hydraulics,
    t: usize,
) -> Vec<Affected> {
    if let Some(q) = &hyd.inflow {
        if q.z[t].is_finite() && q.z[t] >= 1.0 {
            let top_flow = panel
                .series
                .iter()
                .filter(|s| s.kind == SensorKind::Flow)
                .max_by(|a, b| a.values[t].abs().total_cmp(&b.values[t].abs()));
            if let Some(s) = top_flow {
                affected.push(Affected {
                    node: s.node.clone(),
                    metric: s.metric.clone(),
                    score: q.z[t],
                    expected: finite(q.expected[t]),
                    actual: finite(hyd.inflow_actual[t]),
                    since: 0,
                });
            }
        }
    }
    affected
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
            "has drifted away from the other loggers of its district a little more every day",
        ),
    };
    let steps = step - start + 1;
    let value = s.values[step];
    Finding {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::{IncidentTracker, TrackerEvent};
    use crate::panel::Series;
    use crate::synth::{network, LeakSpec, SynthConfig};

    /// Replays the panel one step at a time, as the job runs, and returns the incidents in the
    /// order they opened, as they ended up.
    fn replay(panel: &Panel, from: usize) -> Vec<crate::Incident> {
        let det = Detector::default();
        let mut tracker = IncidentTracker::default();
        let mut opened = Vec::new();
        for t in from..panel.len() {
            let window = Panel {
                series: panel
                    .series
                    .iter()
                    .map(|s| Series {
                        values: s.values[..=t].to_vec(),
                        ..s.clone()
                    })
                    .collect(),
                ..panel.clone()
            };
            for s in det.scan(&window, t) {
                for ev in tracker.observe(panel.time(s.step), &s.findings) {
                    match ev {
                        TrackerEvent::Opened(i) => opened.push(i),
                        TrackerEvent::Updated(i) | TrackerEvent::Closed(i) => {
                            let known = opened
                                .iter_mut()
                                .find(|o| o.uid == i.uid)
                                .expect("opened before");
                            *known = i;
                        }
                    }
                }
            }
        }
        opened
    }

    #[test]
    fn finds_the_leak_near_its_loggers_and_the_faults_as_faults() {
        let leak_start = 24 * 96 + 4;
        let cfg = SynthConfig {
            // A burst: 40 L/s, the nearest logger losing 0.12 bar.
            leak: Some(LeakSpec {
                district: 0,
                start: leak_start,
                lps: 40.0,
                drops: vec![0.12, 0.08, 0.03],
            }),
            stuck: Some((5, 22 * 96 + 40, 16)),
            missing: Some((6, 23 * 96 + 48)),
            ..Default::default()
        };
        let panel = network(&cfg);
        let opened = replay(&panel, 20 * 96);
        let hydraulic: Vec<_> = opened.iter().filter(|i| !i.kind.is_fault()).collect();
        assert_eq!(
            hydraulic.len(),
            1,
            "one event, one incident: {hydraulic:#?}"
        );
        let leak = hydraulic[0];
        assert_eq!(leak.kind, IncidentKind::Leak);
        assert_eq!(
            leak.affected[0].node, "D0-P0",
            "the nearest logger ranks first"
        );
        let delay = leak.detected_at - panel.time(leak_start);
        assert!(
            (0..=3 * 3600).contains(&delay),
            "detected {delay} s after the start"
        );
        let faults: Vec<(IncidentKind, &str)> = opened
            .iter()
            .filter(|i| i.kind.is_fault())
            .map(|i| (i.kind, i.affected[0].node.as_str()))
            .collect();
        assert_eq!(
            faults,
            [
                (IncidentKind::SensorStuck, "D1-P1"),
                (IncidentKind::SensorMissing, "D1-P2")
            ]
        );
    }

    #[test]
    fn a_logger_drifting_off_turns_into_a_drift_fault() {
        // D0-P1 reads 0.02 bar lower every day from day 18 on. At first that is a pressure drop
        // like any other; once its gap to every other logger of D0 has grown steadily for a
        // week, it is a drift of that logger, and from then on no hydraulic incident names it.
        let drift_start = 18 * 96;
        let panel = network(&SynthConfig {
            drift: Some((1, drift_start, -0.02)),
            ..Default::default()
        });
        let opened = replay(&panel, 18 * 96);
        let drift: Vec<_> = opened
            .iter()
            .filter(|i| i.kind == IncidentKind::SensorDrift)
            .collect();
        assert_eq!(drift.len(), 1, "{opened:#?}");
        assert_eq!(drift[0].affected[0].node, "D0-P1");
        let days = (drift[0].detected_at - panel.time(drift_start)) as f64 / 86_400.0;
        assert!((3.0..=8.0).contains(&days), "detected after {days:.1} days");
        assert!(
            opened.iter().all(|i| i.kind == IncidentKind::SensorDrift
                || (i.affected.iter().any(|a| a.node == "D0-P1")
                    && i.detected_at < drift[0].detected_at)),
            "only D0-P1's drift, as a pressure drop before it is known: {opened:#?}"
        );
        assert!(
            opened
                .iter()
                .filter(|i| !i.kind.is_fault())
                .all(|i| i.last_seen <= drift[0].detected_at + 3600),
            "hydraulic incidents stop once the drift is known: {opened:#?}"
        );
    }

    #[test]
    fn a_quiet_network_raises_nothing() {
        let panel = network(&SynthConfig {
            seed: 11,
            ..Default::default()
        });
        let opened = replay(&panel, 20 * 96);
        assert!(opened.is_empty(), "false alarms: {opened:#?}");
    }
}

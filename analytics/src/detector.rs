//! The detector: faults and hydraulic signals of a panel, turned into findings per step.

use crate::faults::{classify_at, clear_shared_spikes, mark_drift, FaultConfig, FaultKind};
use crate::hydraulic::{compute, DistrictFlow, HydraulicConfig, Hydraulics, Night, Scored};
use crate::incidents::{Affected, Finding, IncidentKind, SAME_ONSET};
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
        let ranked_affected: Vec<(usize, Affected)> = ranked
            .iter()
            .filter(|(_, z)| *z <= -c.affected_k)
            .map(|&(i, z)| (i, pressure_affected(panel, hyd, i, t, z)))
            .collect();
        let affected: Vec<Affected> = ranked_affected.iter().map(|(_, a)| a.clone()).collect();
        let inflow = hyd.inflow.as_ref();
        let pick = |q: &Scored, k: usize, day: bool| if day { q.z_day[k] } else { q.z[k] };
        // The inflow evidence for logger `i`: the network's, or its own district's inflow when
        // that rises further (a leak in a metered district shows there first).
        let q_at = |i: usize, k: usize, day: bool| {
            let net = inflow.map_or(f64::NAN, |q| pick(q, k, day));
            let own = hyd
                .district_flow(i)
                .map_or(f64::NAN, |d| pick(&d.inflow, k, day));
            if own > net || (net.is_nan() && own.is_finite()) {
                (own, true)
            } else {
                (net, false)
            }
        };
        // A logger is dropping when it stays low, on the scale of hours or of a day, either far
        // below normal or less far with the inflow rising at the same time (the two together are
        // stronger evidence than either alone).
        let low = |i: usize, k: usize, day: bool| {
            let sc = hyd.pressure[i].as_ref().expect("pressure");
            let (z, q, k_alone) = if day {
                (sc.z_day[k], q_at(i, k, true).0, c.day_k)
            } else {
                (sc.z[k], q_at(i, k, false).0, c.pressure_k)
            };
            let q = if q.is_finite() { q.max(0.0) } else { 0.0 };
            // A day's mean still low after the hour-scale score has recovered is a leak that
            // was repaired, not one still running.
            let now_low = !day || sc.day_still_holds(k, c.hold_share);
            // Below the rest of the network and below its own usual level: when one district
            // drops, the others only look high against the network, and the reverse.
            sc.own[k] < 0.0
                && now_low
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

        // The most dropping logger, and the first of each other district whose drop the inflow
        // supports: one burst's drop reaching the next district joins its incident (the tracker
        // sees they began together), while a second leak elsewhere is raised on its own.
        let mut seen: Vec<Option<&str>> = Vec::new();
        for (n, &(top, day)) in dropping.iter().enumerate() {
            let s = &panel.series[top];
            if seen.contains(&s.district.as_deref()) {
                continue;
            }
            seen.push(s.district.as_deref());
            let sc = hyd.pressure[top].as_ref().expect("pressure");
            let zs = if day { &sc.z_day } else { &sc.z };
            let z = zs[t];
            let (q, by_district) = q_at(top, t, day);
            let start = panel.time(onset(zs, t, |z| z <= -c.affected_k));
            let district = s.district.clone();
            let span = if day {
                "over the last day"
            } else {
                "for over an hour"
            };
            let affected = if n == 0 {
                // Its district's loggers, and those of others whose drop began with it.
                ranked_affected
                    .iter()
                    .filter(|(i, _)| {
                        panel.series[*i].district == s.district || {
                            let z = &hyd.pressure[*i].as_ref().expect("pressure").z;
                            let began = panel.time(onset(z, t, |z| z <= -c.affected_k));
                            (began - start).abs() <= SAME_ONSET
                        }
                    })
                    .map(|(_, a)| a.clone())
                    .collect()
            } else if q >= c.inflow_support_k {
                // This district's own loggers, itself first.
                let mut own = vec![pressure_affected(panel, hyd, top, t, z)];
                own.extend(
                    ranked_affected
                        .iter()
                        .filter(|(i, _)| *i != top && panel.series[*i].district == s.district)
                        .map(|(_, a)| a.clone()),
                );
                own
            } else {
                continue;
            };
            if q >= c.inflow_support_k {
                let own = hyd.district_flow(top).filter(|_| by_district);
                let source = own.map_or("network inflow".to_owned(), |d| {
                    format!("the inflow of {}", d.district)
                });
                out.push(Finding {
                    opens: true,
                    kind: IncidentKind::Leak,
                    key: format!("leak:{}", district.as_deref().unwrap_or("network")),
                    at,
                    start,
                    score: z,
                    district,
                    affected: with_inflow(affected, panel, hyd, own, t),
                    explanation: format!(
                        "Pressure at {} has been {:.1} deviations below its usual level {span} while {source} is {:.1} deviations above: water is leaving the network near {}.",
                        s.node, -z, q, s.node
                    ),
                });
            } else {
                out.push(Finding {
                    opens: true,
                    kind: IncidentKind::PressureDrop,
                    key: format!("pressure-low:{}", s.node),
                    at,
                    start,
                    score: z,
                    district,
                    affected,
                    explanation: format!(
                        "Pressure at {} has been {:.1} deviations below its usual level {span}, more than its neighbours explain; inflow shows no matching rise.",
                        s.node, -z
                    ),
                });
            }
        }
        if dropping.is_empty() {
            // Inflow alone: a district's own inflow names the district; the network's is used
            // when no district's rises (unmetered districts, or meters the districts share).
            // Alone, the excess must hold at most steps of the last hours (`Scored::steady`),
            // not come from a pump switching off a little later than usual.
            let rising = |q: &Scored| persistent(q.steady(), &|z| z >= c.inflow_k);
            let mut any = false;
            for d in hyd.districts.iter().filter(|d| rising(&d.inflow)) {
                any = true;
                let q = &d.inflow;
                out.push(Finding {
                    opens: true,
                    kind: IncidentKind::Leak,
                    key: format!("leak:{}", d.district),
                    at,
                    start: panel.time(onset(&q.z, t, |z| z >= c.affected_k)),
                    score: q.steady()[t],
                    district: Some(d.district.clone()),
                    affected: with_inflow(affected.clone(), panel, hyd, Some(d), t),
                    explanation: format!(
                        "The inflow of {} has stayed {:.1} deviations ({:.1} L/s on average) above its usual level for this time for over an hour.",
                        d.district, q.steady()[t], q.residual[t]
                    ),
                });
            }
            if let Some(q) = inflow.filter(|q| !any && rising(q)) {
                out.push(Finding {
                    opens: true,
                    kind: IncidentKind::Leak,
                    key: "leak:network".into(),
                    at,
                    start: panel.time(onset(&q.z, t, |z| z >= c.affected_k)),
                    score: q.steady()[t],
                    district: affected.first().and_then(|a| district_of(panel, &a.node)),
                    affected: with_inflow(affected.clone(), panel, hyd, None, t),
                    explanation: format!(
                        "Network inflow has stayed {:.1} deviations ({:.1} L/s on average) above its usual level for this time for over an hour.",
                        q.steady()[t],
                        q.residual[t]
                    ),
                });
            }
        }
        // A leak's water still flowing keeps its incident open while the hour-scale scores
        // flicker: the inflow's excess over the last day sustains a leak incident (never opens
        // one), so a leak that lasts days stays one incident.
        let sustained = |q: &Scored| {
            q.z_day[t].is_finite()
                && q.z_day[t] >= c.inflow_support_k
                && q.day_still_holds(t, c.hold_share)
        };
        let flows = hyd
            .districts
            .iter()
            .map(|d| (Some(d), &d.inflow))
            .chain(inflow.map(|q| (None, q)));
        for (d, q) in flows.filter(|(_, q)| sustained(q)) {
            let name = d.map(|d: &DistrictFlow| d.district.clone());
            out.push(Finding {
                opens: false,
                kind: IncidentKind::Leak,
                key: format!("leak:{}", name.as_deref().unwrap_or("network")),
                at,
                start: at,
                score: q.z_day[t],
                explanation: format!(
                    "{} has been {:.1} deviations above its usual level over the last day.",
                    name.as_deref()
                        .map_or("Network inflow".to_owned(), |n| format!(
                            "The inflow of {n}"
                        )),
                    q.z_day[t]
                ),
                district: name,
                affected: Vec::new(),
            });
        }
        // While loggers drop, the network's common mode is pulled down with them and the others
        // only look high against it: no rise is reported then. Nor while the network is losing
        // water (its inflow's excess over the last day still running): pumps run longer and
        // tanks stand lower, and loggers far from the leak read high against the rest.
        let losing = inflow.is_some_and(sustained);
        let rises = if dropping.is_empty() && !losing {
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
                opens: true,
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
        // Night flow: per metered district, and the network's when no district's explains it.
        let night_at = |nights: &[Night]| {
            nights
                .iter()
                .find(|n| n.step == t && n.z >= c.night_k)
                .copied()
        };
        let window = (c.hydraulic.night.1 - c.hydraulic.night.0) as usize / panel.step as usize;
        let mut any = false;
        for d in &hyd.districts {
            let Some(night) = night_at(&d.nights) else {
                continue;
            };
            any = true;
            out.push(Finding {
                opens: true,
                kind: IncidentKind::NightFlowRise,
                key: format!("night-flow:{}", d.district),
                at,
                start: panel.time(t + 1 - window),
                score: night.z,
                district: Some(d.district.clone()),
                affected: with_inflow(affected.clone(), panel, hyd, Some(d), t),
                explanation: format!(
                    "Minimum night flow into {} was {:.1} L/s against {:.1} L/s on recent nights ({:.1} deviations): a new, steady draw such as a leak.",
                    d.district, night.mnf, night.expected, night.z
                ),
            });
        }
        if let Some(night) = night_at(&hyd.nights).filter(|_| !any) {
            out.push(Finding {
                opens: true,
                kind: IncidentKind::NightFlowRise,
                key: "night-flow:network".into(),
                at,
                start: panel.time(t + 1 - window),
                score: night.z,
                district: None,
                affected: with_inflow(affected, panel, hyd, None, t),
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

/// Appends the meter that carries most of the rising inflow: the district's own meters when the
/// evidence is the district's inflow, else any flow meter of the network.
fn with_inflow(
    mut affected: Vec<Affected>,
    panel: &Panel,
    hyd: &Hydraulics,
    district: Option<&DistrictFlow>,
    t: usize,
) -> Vec<Affected> {
    let (q, actual, meters): (Option<&Scored>, &[f64], Vec<usize>) = match district {
        Some(d) => (Some(&d.inflow), &d.actual, d.meters.clone()),
        None => (
            hyd.inflow.as_ref(),
            &hyd.inflow_actual,
            (0..panel.series.len())
                .filter(|&i| panel.series[i].kind == SensorKind::Flow)
                .collect(),
        ),
    };
    if let Some(q) = q {
        if q.z[t].is_finite() && q.z[t] >= 1.0 {
            let top_flow = meters
                .iter()
                .map(|&i| &panel.series[i])
                .max_by(|a, b| a.values[t].abs().total_cmp(&b.values[t].abs()));
            if let Some(s) = top_flow {
                affected.push(Affected {
                    node: s.node.clone(),
                    metric: s.metric.clone(),
                    score: q.z[t],
                    expected: finite(q.expected[t]),
                    actual: finite(actual[t]),
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
            "has drifted away from the other loggers of its district (of the network where the district has fewer than three) a little more every day",
        ),
    };
    let steps = step - start + 1;
    let value = s.values[step];
    Finding {
        opens: true,
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
mod tests;

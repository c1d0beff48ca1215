//! The hydraulic findings of one step: loggers dropping (a leak where the inflow rises with
//! them), the inflow rising alone, the water that keeps a leak open, pressure rising, and night
//! flow.

use super::{finite, Detector};
use crate::hydraulic::{DistrictFlow, Hydraulics, Night, Scored};
use crate::incidents::{Affected, Finding, IncidentKind, SAME_ONSET};
use crate::panel::{Panel, SensorKind};

impl Detector {
    pub(super) fn hydraulics_at(&self, panel: &Panel, hyd: &Hydraulics, t: usize) -> Vec<Finding> {
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
            let back = (SAME_ONSET / panel.step.max(1)) as usize;
            let renewed = !day && renewed_drop(sc, t, back, c.pressure_k);
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
                    renewed,
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
                    renewed,
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
                    renewed: false,
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
                    renewed: false,
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
        // The loggers still low name the leaks this water may be: a repaired burst's loggers
        // recover, and another leak's water no longer keeps its incident open.
        let still_low: Vec<Affected> = ranked
            .iter()
            .filter(|&&(i, z)| {
                let sc = hyd.pressure[i].as_ref().expect("pressure");
                sc.own[t] < 0.0
                    && (z <= -c.affected_k
                        || (sc.z_day[t] <= -c.affected_k && sc.day_still_holds(t, c.hold_share)))
            })
            .map(|&(i, z)| pressure_affected(panel, hyd, i, t, z))
            .collect();
        for (d, q) in flows.filter(|(_, q)| sustained(q)) {
            let name = d.map(|d: &DistrictFlow| d.district.clone());
            out.push(Finding {
                opens: false,
                renewed: false,
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
                affected: still_low.clone(),
            });
        }
        // While loggers drop, the network's common mode is pulled down with them and the others
        // only look high against it: no rise is reported then. Nor while the network has lost
        // water over the last day (its inflow's day-scale excess), even when the last hours do
        // not show it: pumps run longer and tanks stand lower, and loggers far from the leak
        // read high against the rest, most of all at night, when the tanks refill and the
        // inflow of those hours may even fall below its usual level.
        let losing = inflow.is_some_and(|q| q.z_day[t] >= c.inflow_support_k);
        let rises = if dropping.is_empty() && !losing {
            ranked.as_slice()
        } else {
            &[]
        };
        for &(i, z) in rises.iter().rev() {
            let sc = hyd.pressure[i].as_ref().expect("pressure");
            let sz = &sc.z;
            if z < c.rise_k || !persistent(sz, &|z| z >= c.rise_k) {
                break;
            }
            if sc.own[t] <= 0.0
                || read_low_lately(panel, sc, t, c.pressure_k, c.hydraulic.stats_days)
            {
                continue;
            }
            let s = &panel.series[i];
            out.push(Finding {
                opens: true,
                renewed: false,
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
                renewed: false,
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
                renewed: false,
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

/// Days a logger's drop stays in its baseline (the median of its last same-type days: five
/// weekdays span a week).
const BASELINE_MEMORY_DAYS: usize = 7;

/// Whether the logger read far below its usual level (`low_k` spreads of its own residual over
/// up to `stats_days` before, as far as the window holds residuals) at some step of the last
/// [`BASELINE_MEMORY_DAYS`]: a burst of days there is still in its baseline, which then expects
/// too little, and the logger's return to its level is no rise.
fn read_low_lately(panel: &Panel, sc: &Scored, t: usize, low_k: f64, stats_days: usize) -> bool {
    let per_day = panel.per_day();
    let recent = t.saturating_sub(BASELINE_MEMORY_DAYS * per_day);
    let past = recent.saturating_sub(stats_days * per_day);
    let Some(sd) = crate::stats::robust_sd(&sc.own[past..recent], per_day) else {
        return false;
    };
    sd > 0.0 && sc.own[recent..t].iter().any(|x| *x <= -low_k * sd)
}

/// A new drop renews a low logger when it goes this many times deeper than [`SAME_ONSET`]
/// before, in deviations and in bar.
const RENEWAL: f64 = 3.0;

/// Whether the logger's hour-scale drop at `t` is a new one where it was already dropping
/// (`back` steps before, at least `low_k` deviations: a drop of its own, not a common mode
/// taken out a little unevenly): [`RENEWAL`] times deeper since, both in deviations and in bar
/// (an hour of the day with a smaller spread alone cannot do it).
fn renewed_drop(sc: &Scored, t: usize, back: usize, low_k: f64) -> bool {
    let Some(k) = t.checked_sub(back) else {
        return false;
    };
    let (z0, z1, r0, r1) = (sc.z[k], sc.z[t], sc.residual[k], sc.residual[t]);
    z0 <= -low_k && z1 <= RENEWAL * z0 && r0 < 0.0 && r1 <= RENEWAL * r0
}

/// First step of the run ending at `t` where `pred(z)` holds (looking back at most a day).
fn onset(z: &[f64], t: usize, pred: impl Fn(f64) -> bool) -> usize {
    let mut s = t;
    while s > 0 && t - s < 96 && z[s - 1].is_finite() && pred(z[s - 1]) {
        s -= 1;
    }
    s
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
        seen: 0,
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
                    seen: 0,
                });
            }
        }
    }
    affected
}

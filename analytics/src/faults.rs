//! Sensor faults, told apart from hydraulics: missing data, stuck values, spikes, out of range,
//! and a logger drifting away from its district's other loggers.
//!
//! Each check returns, per series, the steps it condemns, so the hydraulic checks can ignore those
//! values (a stuck logger must not look like a pressure drop) and the tracker can report them.

use crate::panel::{Panel, SensorKind, Series};
use crate::stats::{median_in_place, robust_sd};

/// Kinds of sensor fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    Missing,
    Stuck,
    Spike,
    OutOfRange,
    /// The logger's offset from its district's other loggers moves steadily, day after day.
    Drift,
}

impl FaultKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Stuck => "stuck",
            Self::Spike => "spike",
            Self::OutOfRange => "out_of_range",
            Self::Drift => "drift",
        }
    }
}

/// Tunables of the fault checks.
#[derive(Clone, Copy, Debug)]
pub struct FaultConfig {
    /// Identical consecutive values before a series counts as stuck.
    pub stuck_steps: usize,
    /// A value the sensor held for at least this share of the recent history is a resting state
    /// (pump off, valve shut), not a stuck sensor.
    pub rest_share: f64,
    /// A spike stands this many robust deviations of the local curvature above normal.
    pub spike_k: f64,
    /// History used to learn what is normal for a sensor, in steps.
    pub history_steps: usize,
    /// A drift must build up over this many days, steadily.
    pub drift_days: usize,
    /// Days before those that say what the logger's offset from its neighbours normally is.
    pub drift_baseline_days: usize,
    /// ... and the drift must move it this many robust deviations of its daily offset away.
    pub drift_k: f64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            stuck_steps: 8,
            rest_share: 0.05,
            spike_k: 10.0,
            history_steps: 7 * 96,
            drift_days: 7,
            drift_baseline_days: 14,
            drift_k: 6.0,
        }
    }
}

/// Clears spikes that several sensors show at the same step: a pump start or a valve closing
/// moves the water, and every logger sees it; a faulty sensor spikes alone. A spike is shared
/// when another sensor is flagged at the same step too, or when at least
/// [`SHARED_SPIKE_OTHERS`] other sensors of the same kind jump the same way at that step by at
/// least half the spike threshold of their own local curvature and back (so a transient that
/// only one logger happens to show above the full threshold is still seen as the network's,
/// while a step the whole network makes next to a real spike does not hide it).
pub fn clear_shared_spikes(
    series: &[Series],
    masks: &mut [Vec<Option<FaultKind>>],
    cfg: &FaultConfig,
) {
    let n = masks.iter().map(Vec::len).max().unwrap_or(0);
    // Whether `other` jumps at `t` the way `sign` says, by half the spike threshold, and
    // back: a transient, not the edge of a step (a pump starting at the next step lifts every
    // logger for good, which bends each curve at `t` the other way without any spike in it).
    let jumps = |other: &Series, t: usize, sign: f64| {
        let d = curvature(&other.values, t);
        if !d.is_finite() || d * sign <= 0.0 {
            return false;
        }
        let v = &other.values;
        if (v[t + 1] - v[t - 1]).abs() > 0.5 * d.abs() {
            return false;
        }
        let lo = t.saturating_sub(cfg.history_steps.max(16));
        let past: Vec<f64> = (lo.max(1)..t)
            .map(|k| curvature(&other.values, k))
            .collect();
        robust_sd(&past, 32).is_some_and(|sd| sd > 0.0 && d.abs() >= 0.5 * cfg.spike_k * sd)
    };
    for t in 0..n {
        let flagged: Vec<usize> = (0..masks.len())
            .filter(|&i| masks[i].get(t) == Some(&Some(FaultKind::Spike)))
            .collect();
        let shared = |i: usize| {
            let Some(s) = series.get(i) else {
                return false;
            };
            let sign = curvature(&s.values, t).signum();
            series
                .iter()
                .enumerate()
                .filter(|(j, o)| *j != i && o.kind == s.kind && !o.cumulative)
                .filter(|(_, o)| jumps(o, t, sign))
                .take(SHARED_SPIKE_OTHERS)
                .count()
                >= SHARED_SPIKE_OTHERS
        };
        let clear: Vec<usize> = if flagged.len() >= 2 {
            flagged
        } else {
            flagged.into_iter().filter(|&i| shared(i)).collect()
        };
        for i in clear {
            masks[i][t] = None;
        }
    }
}

/// Other sensors that must jump with a flagged one for its spike to be the network's.
const SHARED_SPIKE_OTHERS: usize = 2;

/// Loggers a district needs for drift to be told from hydraulics.
const DRIFT_MIN_LOGGERS: usize = 3;
/// Share of a logger's pairs with its neighbours that must drift the same way.
const DRIFT_PAIR_SHARE: f64 = 0.75;
/// Most of a drift's move one day may make.
const DRIFT_MAX_DAY_SHARE: f64 = 0.4;

/// How far (in robust deviations of its daily value before) the difference `a − b` of two
/// loggers' daily means is from its usual value on the newest day, when it got there like a
/// slope over the window (or, with `holding`, however it got there; else 0): a straight line
/// explains most of the window's days (R² ≥ 0.8), no 24 hours made more than
/// [`DRIFT_MAX_DAY_SHARE`] of the move (a burst or a valve is a step, not a slope), and the
/// window's move is at least half of the distance. `a` and `b` hold daily means newest first:
/// the window's `w + 1` days, then the baseline; `gap_at(h)` is `a − b` over the 24 hours
/// ending `h` hours before the newest step. Those are what tell a slope from steps:
/// sampled once a day, a step is split between the two days around it, and two steps (a small
/// leak, then a burst at the same logger) into four parts that pass for a slope; sampled every
/// hour, each step shows whole within 24 hours. The cheap slope test comes first: most pairs
/// fail it and need no baseline.
fn pair_drift(a: &[f64], b: &[f64], gap_at: impl Fn(usize) -> f64, w: usize, holding: bool) -> f64 {
    // Oldest first: x = 0 is the window's first day.
    let y = |x: usize| a[w - x] - b[w - x];
    if (0..=w).any(|x| !y(x).is_finite()) {
        return 0.0;
    }
    let total = y(w) - y(0);
    let share = |moved: f64| moved.abs() <= DRIFT_MAX_DAY_SHARE * total.abs();
    // Once a day first (most pairs fail there, in 7 comparisons), then at every hour.
    let slope = total != 0.0
        && (1..=w).all(|x| share(y(x) - y(x - 1)))
        && (0..=w.saturating_sub(1) * 24).all(|h| {
            let moved = gap_at(h) - gap_at(h + 24);
            !moved.is_finite() || share(moved)
        })
        && {
            let n = (w + 1) as f64;
            let (mx, my) = ((n - 1.0) / 2.0, (0..=w).map(y).sum::<f64>() / n);
            let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
            for x in 0..=w {
                let (dx, dy) = (x as f64 - mx, y(x) - my);
                sxy += dx * dy;
                sxx += dx * dx;
                syy += dy * dy;
            }
            syy > 0.0 && sxy * total > 0.0 && sxy * sxy / (sxx * syy) >= 0.8
        };
    if !slope && !holding {
        return 0.0;
    }
    let mut base: Vec<f64> = (w + 1..a.len())
        .map(|k| a[k] - b[k])
        .filter(|x| x.is_finite())
        .collect();
    if base.len() * 2 < a.len() - w - 1 {
        return 0.0;
    }
    let spread = robust_sd(&base, 1).unwrap_or(0.0).max(f64::EPSILON);
    let centre = median_in_place(&mut base).unwrap_or(0.0);
    let away = y(w) - centre;
    let covered = away * total > 0.0 && total.abs() * 2.0 >= away.abs();
    if holding || covered {
        away / spread
    } else {
        0.0
    }
}

/// Marks, in `masks`, the steps at which a pressure logger has been drifting away from the
/// other loggers of its district, or of the whole network where its district has fewer than
/// [`DRIFT_MIN_LOGGERS`] (or it has none): with one neighbour a drift cannot be told from the
/// neighbour's, and many districts have one or two loggers. Against the network, a slow change
/// of the district's own pressure (demand growing for a week) looks like a drift too, which
/// three loggers of one district tell apart. Daily means cancel demand and the network's common mode;
/// the difference between two loggers' daily means is steady on a healthy pair. A logger
/// drifts when its difference with most of its neighbours (and the same way) moved steadily
/// for [`FaultConfig::drift_days`] days to [`FaultConfig::drift_k`] robust deviations from
/// its value over the [`FaultConfig::drift_baseline_days`] before; a neighbour shares only its
/// pair with the drifting logger, so it is not marked. Decided every hour and at the newest
/// step from that step and earlier ones only (causal); steps already faulted stay as they are,
/// and values faulted otherwise take no part.
pub fn mark_drift(panel: &Panel, masks: &mut [Vec<Option<FaultKind>>], cfg: &FaultConfig) {
    let per_day = panel.per_day();
    let n = panel.len();
    let (w, b) = (cfg.drift_days, cfg.drift_baseline_days);
    if per_day < 24 || w == 0 || n < (w + b + 1) * per_day {
        return;
    }
    let per_hour = per_day / 24;
    let loggers: Vec<usize> = (0..panel.series.len())
        .filter(|&i| panel.series[i].kind == SensorKind::Pressure && !panel.series[i].cumulative)
        .collect();
    let mut districts: std::collections::BTreeMap<Option<&str>, Vec<usize>> = Default::default();
    for &i in &loggers {
        districts
            .entry(panel.series[i].district.as_deref())
            .or_default()
            .push(i);
    }
    // (loggers compared with each other, how many of them may be marked: the first ones)
    let mut groups: Vec<(Vec<usize>, usize)> = Vec::new();
    let mut alone = Vec::new();
    for (name, members) in districts {
        if name.is_some() && members.len() >= DRIFT_MIN_LOGGERS {
            let all = members.len();
            groups.push((members, all));
        } else {
            alone.extend(members);
        }
    }
    if !alone.is_empty() && loggers.len() >= DRIFT_MIN_LOGGERS {
        let marked = alone.len();
        let rest: Vec<usize> = loggers
            .iter()
            .copied()
            .filter(|i| !alone.contains(i))
            .collect();
        alone.extend(rest);
        groups.push((alone, marked));
    }
    for (members, marked) in &groups {
        // Running sums of each logger's healthy values.
        let sums: Vec<(Vec<f64>, Vec<u32>)> = members
            .iter()
            .map(|&i| {
                let (mut sum, mut count) = (vec![0.0; n + 1], vec![0u32; n + 1]);
                for t in 0..n {
                    let v = panel.series[i].values.get(t).copied().unwrap_or(f64::NAN);
                    let ok = v.is_finite() && masks[i][t].is_none();
                    sum[t + 1] = sum[t] + if ok { v } else { 0.0 };
                    count[t + 1] = count[t] + u32::from(ok);
                }
                (sum, count)
            })
            .collect();
        // Mean over the day ending at step `end` (inclusive), if nine tenths of it is known (a
        // day with a hole would be biased by the hours missing).
        let day_mean = |k: usize, end: usize| -> f64 {
            let (sum, count) = &sums[k];
            let lo = (end + 1).saturating_sub(per_day);
            let c = count[end + 1] - count[lo];
            if (c as usize) * 10 < per_day * 9 {
                return f64::NAN;
            }
            (sum[end + 1] - sum[lo]) / f64::from(c)
        };
        let need = ((members.len() - 1) as f64 * DRIFT_PAIR_SHARE).ceil() as usize;
        let mut drifting = vec![false; members.len()];
        // `t` indexes every member's mask and its day means, not one sequence.
        #[allow(clippy::needless_range_loop)]
        for t in (w + b) * per_day..n {
            if (t + 1) % per_hour == 0 || t + 1 == n {
                let days: Vec<Vec<f64>> = (0..members.len())
                    .map(|k| (0..=w + b).map(|d| day_mean(k, t - d * per_day)).collect())
                    .collect();
                for (k, flag) in drifting.iter_mut().enumerate().take(*marked) {
                    // Starts on slopes far enough away; holds while the gaps stay at least
                    // half as far (a drift does not heal because it stopped growing).
                    let k_now = if *flag {
                        cfg.drift_k / 2.0
                    } else {
                        cfg.drift_k
                    };
                    let (mut down, mut up, mut neither) = (0, 0, 0);
                    for j in (0..members.len()).filter(|j| *j != k) {
                        // The pair's gap over the 24 hours ending at each hour of the window.
                        let gap_at = |h: usize| {
                            let end = t - h * per_hour;
                            day_mean(k, end) - day_mean(j, end)
                        };
                        let z = pair_drift(&days[k], &days[j], gap_at, w, *flag);
                        if z <= -k_now {
                            down += 1;
                        } else if z >= k_now {
                            up += 1;
                        } else {
                            neither += 1;
                            if members.len() - 1 - neither < need {
                                break; // too few pairs left to reach the share
                            }
                        }
                    }
                    *flag = down.max(up) >= need;
                }
            }
            for (k, &flag) in drifting.iter().enumerate() {
                let i = members[k];
                if flag && masks[i][t].is_none() {
                    masks[i][t] = Some(FaultKind::Drift);
                }
            }
        }
    }
}

/// Per-step fault mask of one series (`None` = healthy or unknown), for a series whose first
/// value is at step 0 of the clock (see [`classify_at`]).
pub fn classify(series: &Series, cfg: &FaultConfig) -> Vec<Option<FaultKind>> {
    classify_at(series, cfg, 0)
}

/// Per-step fault mask of one series whose first value is step `first_step` of the clock
/// (steps since the epoch): the spike check re-learns a sensor's noise once a day at the same
/// time of the clock, so a step gets the same verdict whichever window it is looked at in.
pub fn classify_at(series: &Series, cfg: &FaultConfig, first_step: i64) -> Vec<Option<FaultKind>> {
    let v = &series.values;
    let n = v.len();
    let mut out = vec![None; n];
    // Missing: only for a sensor that has reported before (a node not yet installed is not a fault).
    let first = v.iter().position(|x| x.is_finite());
    if let Some(first) = first {
        for (t, slot) in out.iter_mut().enumerate().skip(first) {
            if !v[t].is_finite() {
                *slot = Some(FaultKind::Missing);
            }
        }
    }
    for t in 0..n {
        if v[t].is_finite() && (v[t] < series.range.0 || v[t] > series.range.1) {
            out[t] = Some(FaultKind::OutOfRange);
        }
    }
    // A totaliser stands still while nothing flows and jumps when a tank turns from filling to
    // emptying: neither is a fault of the meter, so only gaps and range apply to it.
    if !series.cumulative {
        mark_stuck(v, cfg, &mut out);
        mark_spikes(v, cfg, first_step, &mut out);
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    a.is_finite() && b.is_finite() && (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

fn mark_stuck(v: &[f64], cfg: &FaultConfig, out: &mut [Option<FaultKind>]) {
    let n = v.len();
    let mut t = 0;
    while t < n {
        let mut end = t + 1;
        while end < n && same(v[end], v[t]) {
            end += 1;
        }
        let run = end - t;
        if run >= cfg.stuck_steps && !is_rest_value(v, t, cfg) {
            for slot in &mut out[t..end] {
                if slot.is_none() {
                    *slot = Some(FaultKind::Stuck);
                }
            }
        }
        t = end;
    }
}

/// Whether `v[at]` is a value the sensor often holds (outside this run) in the history before it.
fn is_rest_value(v: &[f64], at: usize, cfg: &FaultConfig) -> bool {
    let lo = at.saturating_sub(cfg.history_steps);
    let hist = &v[lo..at];
    let valid = hist.iter().filter(|x| x.is_finite()).count();
    if valid < cfg.stuck_steps * 4 {
        // Without history a long flat run at zero is a resting meter more often than a fault.
        return v[at] == 0.0;
    }
    let held = hist.iter().filter(|x| same(**x, v[at])).count();
    held as f64 >= cfg.rest_share * valid as f64
}

/// How far `v[t]` stands from the mean of its two neighbours (NaN at either end).
fn curvature(v: &[f64], t: usize) -> f64 {
    if t == 0 || t + 1 >= v.len() {
        return f64::NAN;
    }
    v[t] - (v[t - 1] + v[t + 1]) / 2.0
}

/// A spike: one value far from both neighbours while the neighbours agree with each other.
fn mark_spikes(v: &[f64], cfg: &FaultConfig, first_step: i64, out: &mut [Option<FaultKind>]) {
    let n = v.len();
    if n < 3 {
        return;
    }
    let curvature: Vec<f64> = (0..n).map(|t| curvature(v, t)).collect();
    // The noise is what the sensor shows while it measures: steps where it holds one value
    // with both neighbours (a stopped pump's main reading zero) say nothing of it, and would
    // make every ordinary wiggle of the running hours look like a spike.
    let moving: Vec<f64> = (0..n)
        .map(|t| {
            let flat = t > 0 && t + 1 < n && same(v[t - 1], v[t]) && same(v[t], v[t + 1]);
            if flat {
                f64::NAN
            } else {
                curvature[t]
            }
        })
        .collect();
    let day = cfg.history_steps.max(16);
    let mut sd = f64::NAN;
    for t in 1..n - 1 {
        // Once a day (96 steps), at the same time of the clock whatever the window.
        if (first_step + t as i64).rem_euclid(96) == 0 || sd.is_nan() {
            let lo = t.saturating_sub(day);
            sd = robust_sd(&moving[lo..t], 32).unwrap_or(f64::NAN);
        }
        let d = curvature[t];
        if !d.is_finite() || !sd.is_finite() || sd <= 0.0 || out[t].is_some() {
            continue;
        }
        let neighbours_agree = (v[t + 1] - v[t - 1]).abs() <= 0.25 * d.abs();
        // A pump that runs for one interval between rests is a duty cycle, not a spike.
        let from_rest = || is_rest_value(v, t - 1, cfg) && is_rest_value(v, t + 1, cfg);
        if d.abs() >= cfg.spike_k * sd && neighbours_agree && !from_rest() {
            out[t] = Some(FaultKind::Spike);
        }
    }
}

#[cfg(test)]
mod tests;

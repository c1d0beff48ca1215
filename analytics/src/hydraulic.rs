//! Hydraulic signals: how far each pressure logger and the network inflow stray from their
//! seasonal baseline, in robust standard deviations, and the minimum night flow of each night.
//!
//! Pressure: residual against the seasonal baseline, minus the part every logger shares (the
//! network-wide common mode: demand a little higher today, a tank a little lower), smoothed over
//! a couple of hours. A leak lowers the loggers near it more than the rest, so what remains after
//! the common mode points at the place. Inflow: the sum of the flow meters against its own
//! baseline; a leak adds water at every hour, so sustained excess inflow supports a pressure drop.
//! Where the districts have their own inlet meters (flow meters placed in them, all carrying
//! water forwards), each district's inflow and minimum night flow are scored as well: they say
//! which district the water leaves. A network metered at its sources and tank mains has one
//! balance only, the network's.

use crate::baseline::{expected, BaselineConfig};
use crate::faults::FaultKind;
use crate::panel::{Panel, SensorKind};
use crate::stats::{median, robust_sd, slope_through_origin, trailing_mean, trailing_median};

/// Fewest days of history a spread (of residuals, of night flows) is learnt from.
const SPREAD_MIN_DAYS: usize = 7;

/// Tunables of the hydraulic signals.
#[derive(Clone, Copy, Debug)]
pub struct HydraulicConfig {
    pub baseline: BaselineConfig,
    /// Steps averaged before scoring (a leak is sustained; noise is not).
    pub smooth_steps: usize,
    /// Days of past residuals that define "normal" spread.
    pub stats_days: usize,
    /// Smallest spread a pressure residual may have, in bar (sensor resolution).
    pub pressure_floor: f64,
    /// Smallest spread of the inflow residual, as a share of the inflow.
    pub flow_floor_share: f64,
    /// The night window for minimum night flow, local seconds of day.
    pub night: (i64, i64),
}

impl Default for HydraulicConfig {
    fn default() -> Self {
        Self {
            baseline: BaselineConfig::default(),
            smooth_steps: 8,
            stats_days: 14,
            pressure_floor: 0.003,
            flow_floor_share: 0.002,
            night: (2 * 3600, 4 * 3600),
        }
    }
}

impl HydraulicConfig {
    /// Steps of history needed before `from` for the signals at `from` to be complete.
    pub fn history_steps(&self, per_day: usize) -> usize {
        (self.stats_days + self.baseline.lookback_days + 2) * per_day + self.smooth_steps
    }
}

/// One scored series: smoothed residual, its expectation and z-score per step.
#[derive(Clone, Debug, Default)]
pub struct Scored {
    pub expected: Vec<f64>,
    pub residual: Vec<f64>,
    /// The sensor's own smoothed residual against its baseline, before the network's common
    /// mode is taken out (its sign says whether it reads above or below its usual level).
    pub own: Vec<f64>,
    pub z: Vec<f64>,
    /// For flows: the same from the median of the last hours' residuals instead of their mean,
    /// which a pump switching a little earlier or later than usual cannot move (empty otherwise).
    pub z_steady: Vec<f64>,
    /// The same over a whole day: small leaks hide in the noise of hours but not of days.
    pub z_day: Vec<f64>,
    /// The mean residual over the last day, in the series' unit (what `z_day` scores).
    pub day_residual: Vec<f64>,
}

impl Scored {
    /// The hour-scale score of an excess that holds at most of the last hours' steps.
    pub fn steady(&self) -> &[f64] {
        if self.z_steady.is_empty() {
            &self.z
        } else {
            &self.z_steady
        }
    }

    /// Whether the deviation the last day's mean shows is still there in the last hours: the
    /// hour-scale residual keeps at least `share` of the day's mean, on the same side. A leak
    /// repaired this morning leaves its mark on the day's mean until tomorrow; not on the hours.
    pub fn day_still_holds(&self, t: usize, share: f64) -> bool {
        let (hour, day) = (self.residual[t], self.day_residual[t]);
        hour.is_finite() && day.is_finite() && hour * day > 0.0 && hour.abs() >= share * day.abs()
    }
}

/// Minimum night flow of one night.
#[derive(Clone, Copy, Debug)]
pub struct Night {
    /// Last step of the night window (when the figure becomes known).
    pub step: usize,
    pub mnf: f64,
    pub expected: f64,
    pub z: f64,
}

/// The inflow of one district: the sum of the flow meters placed in it (its inlets).
#[derive(Clone, Debug, Default)]
pub struct DistrictFlow {
    pub district: String,
    /// Series indices of its meters.
    pub meters: Vec<usize>,
    pub inflow: Scored,
    pub actual: Vec<f64>,
    pub nights: Vec<Night>,
}

/// All hydraulic signals of a panel.
#[derive(Clone, Debug, Default)]
pub struct Hydraulics {
    /// Per series index (pressure series only; others empty).
    pub pressure: Vec<Option<Scored>>,
    /// Network inflow: sum of all flow meters.
    pub inflow: Option<Scored>,
    pub inflow_actual: Vec<f64>,
    pub nights: Vec<Night>,
    /// Per district with meters of its own, when the network's meters are spread over more
    /// than one district (with one, its inflow is the network's).
    pub districts: Vec<DistrictFlow>,
    /// Per series index: its district's entry in `districts`, if that has its own inflow.
    pub district_of: Vec<Option<usize>>,
}

impl Hydraulics {
    /// The inflow signal of the district series `i` is in, if that district has its own.
    pub fn district_flow(&self, i: usize) -> Option<&DistrictFlow> {
        self.district_of
            .get(i)
            .copied()
            .flatten()
            .map(|d| &self.districts[d])
    }
}

/// The sum of some flow meters, scored against its own baseline, and its nights.
fn flow_signal(
    panel: &Panel,
    flows: &[&Vec<f64>],
    resid_from: usize,
    from: usize,
    cfg: &HydraulicConfig,
) -> (Scored, Vec<f64>, Vec<Night>) {
    let actual: Vec<f64> = (0..panel.len())
        .map(|t| flows.iter().map(|f| f[t]).sum::<f64>())
        .collect();
    let exp_q = expected(panel, &actual, resid_from, &cfg.baseline);
    let res_q: Vec<f64> = actual.iter().zip(&exp_q).map(|(x, e)| x - e).collect();
    // The spread's floor scales with the flow's mean magnitude: a pump main at rest more than
    // half the time has a median of zero, and residuals exactly zero at rest, so without a
    // floor its spread could come out zero and any change an infinite score.
    let (sum, count) = actual
        .iter()
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, c), x| (s + x.abs(), c + 1));
    let level = sum / count.max(1) as f64;
    let scored = score(panel, res_q, exp_q, from, cfg, true, |_| {
        cfg.flow_floor_share * level
    });
    let nights = night_flows(panel, &actual, from, cfg);
    (scored, actual, nights)
}

/// Computes the signals for steps `from..` (history before `from` is used as reference only).
pub fn compute(
    panel: &Panel,
    masks: &[Vec<Option<FaultKind>>],
    from: usize,
    cfg: &HydraulicConfig,
) -> Hydraulics {
    let n = panel.len();
    let per_day = panel.per_day();
    let resid_from = from.saturating_sub((cfg.stats_days + 2) * per_day + cfg.smooth_steps);
    let clean: Vec<Vec<f64>> = panel
        .series
        .iter()
        .zip(masks)
        .map(|(s, m)| {
            s.values
                .iter()
                .zip(m)
                .map(|(v, f)| if f.is_some() { f64::NAN } else { *v })
                .collect()
        })
        .collect();

    // Network inflow: the sum of every flow meter, short gaps bridged; and per district.
    let flows: Vec<(usize, Vec<f64>)> = (0..panel.series.len())
        .filter(|&i| panel.series[i].kind == SensorKind::Flow)
        .map(|i| (i, fill_short_gaps(&clean[i], 2)))
        .collect();
    let mut inflow = None;
    let mut inflow_actual = Vec::new();
    let mut nights = Vec::new();
    let mut districts = Vec::new();
    if !flows.is_empty() {
        let all: Vec<&Vec<f64>> = flows.iter().map(|(_, v)| v).collect();
        let (scored, actual, n) = flow_signal(panel, &all, resid_from, from, cfg);
        (inflow, inflow_actual, nights) = (Some(scored), actual, n);
        // Districts' own inflows need meters that close each district's balance: every meter
        // an inlet. A main whose flow often runs backwards (a tank's, filling and draining)
        // belongs in the network's balance, but then no district's share of the water can be
        // read off the meters: a district's "inflow" would follow the tanks' pumps and level
        // controls rather than its demand. Only the network's inflow is scored then.
        let district = |i: usize| panel.series[i].district.as_deref();
        let mut names: Vec<&str> = flows.iter().filter_map(|(i, _)| district(*i)).collect();
        names.sort_unstable();
        names.dedup();
        let spread = names.len() > 1 || flows.iter().any(|(i, _)| district(*i).is_none());
        let balanced = flows.iter().all(|(_, v)| is_inlet(v));
        for name in names.into_iter().filter(|_| spread && balanced) {
            let own: Vec<&(usize, Vec<f64>)> = flows
                .iter()
                .filter(|(i, _)| district(*i) == Some(name))
                .collect();
            let values: Vec<&Vec<f64>> = own.iter().map(|(_, v)| v).collect();
            let (inflow, actual, nights) = flow_signal(panel, &values, resid_from, from, cfg);
            districts.push(DistrictFlow {
                district: name.to_owned(),
                meters: own.iter().map(|(i, _)| *i).collect(),
                inflow,
                actual,
                nights,
            });
        }
    }

    // Pressure residuals and the part of them the whole network shares.
    let pressure_idx: Vec<usize> = (0..panel.series.len())
        .filter(|&i| panel.series[i].kind == SensorKind::Pressure)
        .collect();
    let mut exp_p = vec![Vec::new(); panel.series.len()];
    let mut res_p = vec![Vec::new(); panel.series.len()];
    for &i in &pressure_idx {
        exp_p[i] = expected(panel, &clean[i], resid_from, &cfg.baseline);
        res_p[i] = clean[i].iter().zip(&exp_p[i]).map(|(x, e)| x - e).collect();
    }
    let common: Vec<f64> = (0..n)
        .map(|t| {
            let vals: Vec<f64> = pressure_idx
                .iter()
                .map(|&i| res_p[i][t])
                .filter(|x| x.is_finite())
                .collect();
            if vals.len() >= 3 {
                median(vals).unwrap_or(f64::NAN)
            } else {
                f64::NAN
            }
        })
        .collect();
    let mut pressure = vec![None; panel.series.len()];
    for &i in &pressure_idx {
        // How strongly this logger follows the network's common mode, learnt over recent days.
        let beta = daily(panel, resid_from.max(1), n, cfg.stats_days, |lo, hi| {
            slope_through_origin(&common[lo..hi], &res_p[i][lo..hi])
        });
        let local: Vec<f64> = (0..n)
            .map(|t| {
                if t < resid_from {
                    f64::NAN
                } else {
                    res_p[i][t] - beta[t].unwrap_or(1.0) * common[t]
                }
            })
            .collect();
        let mut scored = score(panel, local, exp_p[i].clone(), from, cfg, false, |_| {
            cfg.pressure_floor
        });
        scored.own = trailing_mean(&res_p[i], cfg.smooth_steps, cfg.smooth_steps * 3 / 4);
        pressure[i] = Some(scored);
    }
    let district_of = panel
        .series
        .iter()
        .map(|s| {
            let name = s.district.as_deref()?;
            districts.iter().position(|d| d.district == name)
        })
        .collect();
    Hydraulics {
        pressure,
        inflow,
        inflow_actual,
        nights,
        districts,
        district_of,
    }
}

/// Smooths a raw residual and scores it against the spread of the previous `stats_days`.
fn score(
    panel: &Panel,
    raw: Vec<f64>,
    expected: Vec<f64>,
    from: usize,
    cfg: &HydraulicConfig,
    steady: bool,
    floor: impl Fn(usize) -> f64,
) -> Scored {
    let n = raw.len();
    let per_day = panel.per_day();
    // A spread is learnt from a week of residuals at least (three quarters of its steps
    // known): fewer days have not seen a weekend, nor enough nights of pumps switching at
    // slightly different times, and make every ordinary change look rare.
    let week = per_day * SPREAD_MIN_DAYS;
    let min_n = week * 3 / 4;
    // Scores from a day before `from`, so persistence and onsets can look back.
    let from = from.saturating_sub(per_day);
    let to_z = |smooth: &[f64], sd: &dyn Fn(usize) -> Option<f64>| -> Vec<f64> {
        (0..n)
            .map(|t| match sd(t) {
                Some(s) if t >= from => smooth[t] / s.max(floor(t)).max(f64::MIN_POSITIVE),
                _ => f64::NAN,
            })
            .collect()
    };
    // Hours: noise differs by time of day (quiet nights, busy mornings), so the spread is learnt
    // per hour of the day; a deviation at 03:00 is judged against other nights.
    let hourly_z = |smooth: &[f64]| {
        let sd_by_hour = daily(panel, from, n, cfg.stats_days, |lo, hi| {
            hourly_sd(panel, smooth, lo, hi, min_n * HOUR_POOL / 24)
        });
        to_z(smooth, &|t| {
            sd_by_hour[t].map(|h| h[(panel.local_seconds_of_day(t) / 3600) as usize])
        })
    };
    let smooth = trailing_mean(&raw, cfg.smooth_steps, cfg.smooth_steps * 3 / 4);
    let z = hourly_z(&smooth);
    // A flow's excess is also scored from the median of the last hours' residuals: a leak adds
    // water at every step, while a pump main stopping a quarter of an hour later than usual adds
    // its whole flow at one step, which moves the hours' mean but not their median.
    let z_steady = if steady {
        hourly_z(&trailing_median(
            &raw,
            cfg.smooth_steps,
            cfg.smooth_steps * 3 / 4,
        ))
    } else {
        Vec::new()
    };
    // Days: a whole day's mean residual against the spread of past days' means.
    let long = trailing_mean(&raw, per_day, per_day * 3 / 4);
    let sd_day = daily(panel, from, n, cfg.stats_days, |lo, hi| {
        robust_sd(&long[lo..hi], min_n)
    });
    let z_day = to_z(&long, &|t| sd_day[t]);
    Scored {
        expected,
        own: smooth.clone(),
        residual: smooth,
        z,
        z_steady,
        z_day,
        day_residual: long,
    }
}

/// Evaluates `stat(lo, hi)` once per local day over the `days` before it, for steps `from..n`.
fn daily<T: Copy>(
    panel: &Panel,
    from: usize,
    n: usize,
    days: usize,
    stat: impl Fn(usize, usize) -> Option<T>,
) -> Vec<Option<T>> {
    let per_day = panel.per_day();
    let mut out = vec![None; n];
    let mut current_day = i64::MIN;
    let mut value = None;
    for (t, slot) in out.iter_mut().enumerate().skip(from) {
        let day = panel.local_day(t);
        if day != current_day {
            current_day = day;
            let day_start = t.saturating_sub((panel.local_seconds_of_day(t) / panel.step) as usize);
            let lo = day_start.saturating_sub(days * per_day);
            value = if day_start > lo {
                stat(lo, day_start)
            } else {
                None
            };
        }
        *slot = value;
    }
    out
}

/// Hours of the day pooled for one hour's spread: it and the two either side.
const HOUR_POOL: usize = 5;

/// Robust spread per local hour of day over `lo..hi`, pooling the two hours either side.
fn hourly_sd(panel: &Panel, v: &[f64], lo: usize, hi: usize, min_n: usize) -> Option<[f64; 24]> {
    let mut by_hour: Vec<Vec<f64>> = vec![Vec::new(); 24];
    for (t, x) in v.iter().enumerate().take(hi).skip(lo) {
        if x.is_finite() {
            by_hour[(panel.local_seconds_of_day(t) / 3600) as usize].push(*x);
        }
    }
    let mut out = [f64::NAN; 24];
    let mut pool = Vec::new();
    for (h, slot) in out.iter_mut().enumerate() {
        pool.clear();
        for d in 0..HOUR_POOL {
            pool.extend_from_slice(&by_hour[(h + 24 + d - HOUR_POOL / 2) % 24]);
        }
        *slot = robust_sd(&pool, min_n.max(8))?;
    }
    Some(out)
}

/// Share of a meter's readings that may run backwards for it to still be an inlet (a stopped
/// pump's main may read a little below zero now and then).
const INLET_MAX_REVERSE: f64 = 0.02;

/// Whether a flow meter is an inlet: its flow runs forwards, apart from noise around zero. A
/// reading runs backwards when it is below zero by more than a twentieth of the meter's usual
/// forward flow (its 95th percentile of magnitudes).
fn is_inlet(v: &[f64]) -> bool {
    let mut mags: Vec<f64> = v
        .iter()
        .filter(|x| x.is_finite())
        .map(|x| x.abs())
        .collect();
    if mags.is_empty() {
        return true;
    }
    let k = (mags.len() * 95 / 100).min(mags.len() - 1);
    let (_, p95, _) = mags.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    let margin = *p95 / 20.0;
    let back = v.iter().filter(|x| x.is_finite() && **x < -margin).count();
    (back as f64) <= INLET_MAX_REVERSE * mags.len() as f64
}

/// Linear interpolation across gaps of at most `max_gap` steps.
pub fn fill_short_gaps(v: &[f64], max_gap: usize) -> Vec<f64> {
    let mut out = v.to_vec();
    let mut t = 0;
    while t < v.len() {
        if v[t].is_finite() {
            t += 1;
            continue;
        }
        let start = t;
        while t < v.len() && !v[t].is_finite() {
            t += 1;
        }
        if start > 0 && t < v.len() && t - start <= max_gap {
            let (a, b) = (v[start - 1], v[t]);
            let len = (t - start + 1) as f64;
            for (k, slot) in out[start..t].iter_mut().enumerate() {
                *slot = a + (b - a) * (k + 1) as f64 / len;
            }
        }
    }
    out
}

/// Mean inflow over each night window, scored against the previous nights.
fn night_flows(panel: &Panel, inflow: &[f64], from: usize, cfg: &HydraulicConfig) -> Vec<Night> {
    let (start, end) = cfg.night;
    let mut all: Vec<(usize, f64)> = Vec::new();
    let mut acc: Vec<f64> = Vec::new();
    for (t, q) in inflow.iter().enumerate() {
        let s = panel.local_seconds_of_day(t);
        if s >= start && s < end {
            acc.push(*q);
            if s + panel.step >= end {
                let valid: Vec<f64> = acc.iter().copied().filter(|x| x.is_finite()).collect();
                if valid.len() * 4 >= acc.len() * 3 && !valid.is_empty() {
                    all.push((t, valid.iter().sum::<f64>() / valid.len() as f64));
                }
                acc.clear();
            }
        } else {
            acc.clear();
        }
    }
    let mut out = Vec::new();
    for (k, &(step, mnf)) in all.iter().enumerate() {
        if step < from || k < SPREAD_MIN_DAYS {
            continue;
        }
        let prev: Vec<f64> = all[k.saturating_sub(cfg.stats_days)..k]
            .iter()
            .map(|x| x.1)
            .collect();
        let Some(exp) = median(prev.iter().copied()) else {
            continue;
        };
        let sd = robust_sd(&prev, 5)
            .unwrap_or(f64::NAN)
            .max(cfg.flow_floor_share * exp.abs() * 5.0);
        out.push(Night {
            step,
            mnf,
            expected: exp,
            z: (mnf - exp) / sd,
        });
    }
    out
}

#[cfg(test)]
mod tests;

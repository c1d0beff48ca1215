//! Synthetic networks for tests and benchmarks: diurnal and weekly demand, pressure falling with
//! the square of the flow, sensor noise, and optionally leaks, a stuck logger, a lost reading
//! and a drifting logger.
//! Seeded, so every run produces the same data.

use crate::panel::{Panel, SensorKind, Series};

/// A leak to inject: from `start` (step index) until `end`, `lps` more inflow, and each logger of
/// `district` loses pressure, the nearest (first) most.
#[derive(Clone, Debug)]
pub struct LeakSpec {
    pub district: usize,
    pub start: usize,
    /// Step at which it is repaired (`None`: it runs to the end).
    pub end: Option<usize>,
    pub lps: f64,
    /// Pressure lost by the district's loggers in order, in bar (others lose a tenth of the last).
    pub drops: Vec<f64>,
}

impl LeakSpec {
    fn runs_at(&self, t: usize) -> bool {
        t >= self.start && self.end.is_none_or(|e| t < e)
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    pub seed: u64,
    pub districts: usize,
    pub loggers_per_district: usize,
    pub flow_meters: usize,
    pub days: usize,
    /// Unix seconds of step 0 (a Monday midnight UTC is convenient).
    pub start: i64,
    /// Leaks to inject; each adds its water and its pressure drops from its own start on.
    pub leaks: Vec<LeakSpec>,
    /// (series index, first step, steps) of a logger stuck at its last value.
    pub stuck: Option<(usize, usize, usize)>,
    /// (series index, step) of a lost reading.
    pub missing: Option<(usize, usize)>,
    /// (series index, first step, change per day) of a logger drifting off, linearly.
    pub drift: Option<(usize, usize, f64)>,
    /// Each flow meter is its district's inlet: the leak's water passes only the meters of the
    /// leak's district (otherwise every meter carries its share of it).
    pub district_inlets: bool,
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            districts: 2,
            loggers_per_district: 4,
            flow_meters: 2,
            days: 28,
            start: 1_767_571_200, // Monday 2026-01-05 00:00 UTC
            leaks: Vec::new(),
            stuck: None,
            missing: None,
            drift: None,
            district_inlets: false,
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        // SplitMix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Generates the panel: pressure loggers `D{d}-P{i}` first (district by district), then flow
/// meters `F{j}` splitting the network inflow.
pub fn network(cfg: &SynthConfig) -> Panel {
    let step = 900i64;
    let per_day = 96usize;
    let n = cfg.days * per_day;
    let mut rng = Rng(cfg.seed);
    let day_factor: Vec<f64> = (0..=cfg.days).map(|_| 1.0 + 0.03 * rng.normal()).collect();
    let inflow: Vec<f64> = (0..n)
        .map(|t| {
            let hour = (t % per_day) as f64 / 4.0;
            let weekday = (t / per_day) % 7;
            let weekly = if weekday >= 5 { 0.9 } else { 1.0 };
            let diurnal = 1.0 + 0.35 * ((hour - 7.0) / 24.0 * std::f64::consts::TAU).sin();
            let leak: f64 = cfg
                .leaks
                .iter()
                .filter(|l| l.runs_at(t))
                .map(|l| l.lps)
                .sum();
            500.0 * diurnal * weekly * day_factor[t / per_day] + leak + 3.0 * rng.normal()
        })
        .collect();
    let mut series = Vec::new();
    for d in 0..cfg.districts {
        for i in 0..cfg.loggers_per_district {
            let base = 4.0 + 0.3 * i as f64 + 0.2 * d as f64;
            let sensitivity = 0.25 + 0.05 * i as f64;
            // This logger's pressure lost to each leak.
            let drops: Vec<(&LeakSpec, f64)> = cfg
                .leaks
                .iter()
                .map(|l| {
                    let last = l.drops.last().copied().unwrap_or(0.0);
                    let drop = if l.district == d {
                        l.drops.get(i).copied().unwrap_or(last)
                    } else {
                        last / 10.0
                    };
                    (l, drop)
                })
                .collect();
            let values = (0..n)
                .map(|t| {
                    let q = inflow[t] / 500.0;
                    let drop: f64 = drops
                        .iter()
                        .filter(|(l, _)| l.runs_at(t))
                        .map(|(_, d)| d)
                        .sum();
                    base - sensitivity * q * q - drop + 0.005 * rng.normal()
                })
                .collect();
            series.push(Series {
                node: format!("D{d}-P{i}"),
                metric: "pressure".into(),
                kind: SensorKind::Pressure,
                district: Some(format!("D{d}")),
                range: (-1.0, 60.0),
                cumulative: false,
                values,
            });
        }
    }
    let district_of = |j: usize| j % cfg.districts.max(1);
    for j in 0..cfg.flow_meters {
        let share = if j == 0 {
            0.6
        } else {
            0.4 / (cfg.flow_meters - 1).max(1) as f64
        };
        // Each leak's part of this meter's flow.
        let leak_share = |l: &LeakSpec| {
            if !cfg.district_inlets {
                share
            } else if district_of(j) == l.district {
                let inlets = (0..cfg.flow_meters).filter(|&k| district_of(k) == l.district);
                1.0 / inlets.count() as f64
            } else {
                0.0
            }
        };
        series.push(Series {
            node: format!("F{j}"),
            metric: "flow_rate".into(),
            kind: SensorKind::Flow,
            district: Some(format!("D{}", district_of(j))),
            range: (-10_000.0, 100_000.0),
            cumulative: false,
            values: inflow
                .iter()
                .enumerate()
                .map(|(t, q)| {
                    let active = cfg.leaks.iter().filter(|l| l.runs_at(t));
                    let (leak, carried) = active.fold((0.0, 0.0), |(all, here), l| {
                        (all + l.lps, here + l.lps * leak_share(l))
                    });
                    (q - leak) * share + carried + 0.5 * rng.normal()
                })
                .collect(),
        });
    }
    if let Some((s, from, len)) = cfg.stuck {
        let held = series[s].values[from];
        for v in &mut series[s].values[from..from + len] {
            *v = held;
        }
    }
    if let Some((s, at)) = cfg.missing {
        series[s].values[at] = f64::NAN;
    }
    if let Some((s, from, per_day_change)) = cfg.drift {
        for (k, v) in series[s].values[from..].iter_mut().enumerate() {
            *v += per_day_change * k as f64 / per_day as f64;
        }
    }
    Panel {
        start: cfg.start,
        step,
        utc_offset: 0,
        series,
    }
}

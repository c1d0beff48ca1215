//! Sensor faults on made-up series: stuck, spikes, shared transients, rest values.

use super::*;
use crate::panel::SensorKind;

fn series(values: Vec<f64>) -> Series {
    Series {
        node: "P1".into(),
        metric: "pressure".into(),
        kind: SensorKind::Pressure,
        district: None,
        range: (0.0, 16.0),
        cumulative: false,
        values,
    }
}

fn wiggle(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 4.0 + 0.05 * ((i as f64) * 0.7).sin() + 0.001 * (i % 7) as f64)
        .collect()
}

#[test]
fn a_step_gets_the_same_verdict_whichever_window_it_is_seen_in() {
    // Quiet noise, then from step 1,500 a sensor that starts to chatter (±0.03 every other
    // step) and a few jumps of growing size: what counts as a spike depends on whether
    // the noise level was learnt with more or less than half chatter in its week.
    let mut v: Vec<f64> = (0..2_000)
        .map(|i| {
            let noise = ((i * 7_919) % 101) as f64 / 101.0 - 0.5;
            let chatter = if i < 1_500 {
                0.0
            } else {
                0.03 * (i % 2) as f64
            };
            4.0 + 0.02 * noise + chatter
        })
        .collect();
    for (k, t) in (1_871..=1_911).step_by(10).enumerate() {
        v[t] += 0.1 * (k + 1) as f64;
    }
    let cfg = FaultConfig::default();
    let spikes = |m: &[Option<FaultKind>]| {
        m.iter()
            .enumerate()
            .filter(|(_, f)| **f == Some(FaultKind::Spike))
            .map(|(t, _)| t)
            .collect::<Vec<_>>()
    };
    // Step 0 is step 5,000 of the clock: the noise is re-learnt at steps 1,816 and 1,912.
    let whole = classify_at(&series(v.clone()), &cfg, 5_000);
    let found = spikes(&whole[1_860..]);
    assert!(!found.is_empty());
    // Windows starting at other times of the day, each with more than a week and a day
    // of history before step 1,860, give the same verdicts.
    for skip in [1, 50, 95, 130] {
        let part = classify_at(&series(v[skip..].to_vec()), &cfg, 5_000 + skip as i64);
        assert_eq!(
            &part[1_860 - skip..],
            &whole[1_860..],
            "window from step {skip}"
        );
    }
    // Counted from the window's own start instead, a window from step 50 re-learns the
    // noise at step 1,866, with more chatter in its week: other verdicts.
    let unanchored = classify_at(&series(v[50..].to_vec()), &cfg, 5_000);
    assert_ne!(spikes(&unanchored[1_810..]), found);
}

#[test]
fn finds_each_fault_kind_where_it_is() {
    let mut v = wiggle(800);
    v[700] = f64::NAN;
    v[710] = 9.0; // spike
    for x in &mut v[720..740] {
        *x = 4.123; // stuck for 20 steps
    }
    v[750] = 25.0; // out of range
    let f = classify(&series(v), &FaultConfig::default());
    assert_eq!(f[700], Some(FaultKind::Missing));
    assert_eq!(f[710], Some(FaultKind::Spike));
    assert!(f[720..740].iter().all(|k| *k == Some(FaultKind::Stuck)));
    assert_eq!(f[750], Some(FaultKind::OutOfRange));
    let flagged = f.iter().filter(|k| k.is_some()).count();
    assert_eq!(flagged, 1 + 1 + 20 + 1, "nothing else is flagged");
}

#[test]
fn a_spike_on_two_sensors_at_once_is_hydraulic() {
    let mut a = wiggle(800);
    let mut b = wiggle(800);
    a[500] = 9.0;
    b[500] = 9.5;
    b[600] = 9.5;
    let cfg = FaultConfig::default();
    let (a, b) = (series(a), series(b));
    let mut masks = vec![classify(&a, &cfg), classify(&b, &cfg)];
    clear_shared_spikes(&[a, b], &mut masks, &cfg);
    assert_eq!(masks[0][500], None);
    assert_eq!(masks[1][500], None);
    assert_eq!(masks[1][600], Some(FaultKind::Spike));
}

#[test]
fn a_transient_that_only_one_logger_shows_above_the_threshold_is_the_networks() {
    let cfg = FaultConfig::default();
    let base = wiggle(800);
    let curv: Vec<f64> = (1..499)
        .map(|t| base[t] - (base[t - 1] + base[t + 1]) / 2.0)
        .collect();
    let sd = robust_sd(&curv, 32).unwrap();
    // Others jump at step 500 by 0.7 of the spike threshold: not spikes of their own.
    let with = |jump: f64| {
        let mut v = base.clone();
        v[500] += jump;
        series(v)
    };
    let below = 0.7 * cfg.spike_k * sd;
    let run = |others: &[f64]| {
        let mut all = vec![with(1.0)];
        all.extend(others.iter().map(|j| with(*j)));
        let mut masks: Vec<_> = all.iter().map(|s| classify(s, &cfg)).collect();
        assert_eq!(masks[0][500], Some(FaultKind::Spike));
        assert!(
            masks[1..].iter().all(|m| m[500].is_none()),
            "below the threshold"
        );
        clear_shared_spikes(&all, &mut masks, &cfg);
        masks[0][500]
    };
    assert_eq!(run(&[below, below]), None, "two others jump with it");
    assert_eq!(
        run(&[below, 0.0]),
        Some(FaultKind::Spike),
        "one is not enough"
    );
    assert_eq!(
        run(&[-below, -below]),
        Some(FaultKind::Spike),
        "the other way"
    );
    assert_eq!(
        run(&[0.2 * below, 0.2 * below]),
        Some(FaultKind::Spike),
        "too small"
    );
    // A pump stops at the next step: the others drop for good after 500, which bends
    // their curves at 500 the spike's way, as far as before, without being a transient.
    let mut all = vec![with(1.0)];
    for _ in 0..2 {
        let mut o = base.clone();
        for x in &mut o[501..] {
            *x -= 2.0 * below;
        }
        all.push(series(o));
    }
    let mut masks: Vec<_> = all.iter().map(|s| classify(s, &cfg)).collect();
    assert!(curvature(&all[1].values, 500) * curvature(&all[0].values, 500) > 0.0);
    clear_shared_spikes(&all, &mut masks, &cfg);
    assert_eq!(
        masks[0][500],
        Some(FaultKind::Spike),
        "a step is not a transient"
    );
}

#[test]
fn a_meter_resting_at_zero_is_not_stuck() {
    let mut v = wiggle(800);
    for block in 0..8 {
        for x in &mut v[block * 96..block * 96 + 20] {
            *x = 0.0; // pump off every night
        }
    }
    let f = classify(&series(v), &FaultConfig::default());
    assert!(f.iter().all(|k| *k != Some(FaultKind::Stuck)));
}

#[test]
fn a_pump_main_at_rest_does_not_make_its_running_noise_look_like_spikes() {
    // A pump's discharge main: zero while the pump rests (10 h a day), about 210 L/s with
    // ±1.5 L/s of noise while it runs, and one reading 25 L/s off on day 9.
    let mut v: Vec<f64> = (0..96 * 10)
        .map(|i| {
            if i % 96 < 40 {
                0.0
            } else {
                let noise = ((i * 7_919) % 101) as f64 / 101.0 - 0.5;
                210.0 + 3.0 * noise
            }
        })
        .collect();
    let spike = 96 * 9 + 60;
    v[spike] += 25.0;
    let s = Series {
        node: "F2".into(),
        metric: "flow_rate".into(),
        kind: SensorKind::Flow,
        range: (-10_000.0, 10_000.0),
        ..series(vec![])
    };
    let mask = classify(&Series { values: v, ..s }, &FaultConfig::default());
    let spikes: Vec<usize> = (0..mask.len())
        .filter(|&t| mask[t] == Some(FaultKind::Spike))
        .collect();
    // Learnt with the resting hours among the running ones, the noise level came out near
    // zero: ordinary readings then pass for spikes, or (as here, where zeros are close to
    // half the day) the level is zero and not even the real spike is found.
    assert_eq!(spikes, [spike]);
}

#[test]
fn a_logger_of_a_small_district_drifts_against_the_network() {
    // Three districts of two loggers each: no district can tell its own loggers apart, so
    // D0-P1 (series 1), reading 0.02 bar lower every day from day 18 on, is compared with every
    // logger of the network; only it is marked, and only after its drift has built up.
    let drift_start = 18 * 96;
    let panel = crate::synth::network(&crate::synth::SynthConfig {
        districts: 3,
        loggers_per_district: 2,
        drift: Some((1, drift_start, -0.02)),
        ..Default::default()
    });
    let mut masks = vec![vec![None; panel.len()]; panel.series.len()];
    mark_drift(&panel, &mut masks, &FaultConfig::default());
    let marked = |i: usize| masks[i].iter().position(|m| *m == Some(FaultKind::Drift));
    let first = marked(1).expect("D0-P1 drifts");
    let days = (first - drift_start) as f64 / 96.0;
    assert!((3.0..=8.0).contains(&days), "marked after {days:.1} days");
    assert_eq!(masks[1][panel.len() - 1], Some(FaultKind::Drift));
    for i in (0..panel.series.len()).filter(|&i| i != 1) {
        assert_eq!(marked(i), None, "{} is not drifting", panel.series[i].node);
    }
}

#[test]
fn a_small_leak_then_a_burst_at_one_logger_is_not_a_drift() {
    // D0-P0 loses 0.1 bar at noon on day 17 (a small leak near it) and 0.1 more at noon on
    // day 20 (a burst). Sampled once a day at midnight, each step is split between two days
    // and the four parts look like a slope; sampled every hour, each is a step.
    let leak = |start: usize| crate::synth::LeakSpec {
        district: 0,
        start,
        end: None,
        lps: 5.0,
        drops: vec![0.1, 0.0],
    };
    let panel = crate::synth::network(&crate::synth::SynthConfig {
        leaks: vec![leak(17 * 96 + 48), leak(20 * 96 + 48)],
        ..Default::default()
    });
    let mut masks = vec![vec![None; panel.len()]; panel.series.len()];
    mark_drift(&panel, &mut masks, &FaultConfig::default());
    for (i, m) in masks.iter().enumerate() {
        let first = m.iter().position(|m| *m == Some(FaultKind::Drift));
        assert_eq!(first, None, "{} is not drifting", panel.series[i].node);
    }
}

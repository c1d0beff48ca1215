//! Which balances the inflow signals are read from, and how much history a spread needs.

use super::*;
use crate::synth::{network, SynthConfig};

fn no_faults(panel: &Panel) -> Vec<Vec<Option<FaultKind>>> {
    panel
        .series
        .iter()
        .map(|s| vec![None; s.values.len()])
        .collect()
}

#[test]
fn an_inlet_runs_forwards_and_a_tank_main_both_ways() {
    // A pump's main: stopped half the day (zero, with a little noise either side of it).
    let pump: Vec<f64> = (0..96 * 7)
        .map(|t| match (t % 96 < 48, t % 3) {
            (true, 0) => -0.3,
            (true, _) => 0.2,
            (false, _) => 210.0,
        })
        .collect();
    assert!(is_inlet(&pump));
    // A tank's main: draining by day, filling by night.
    let tank: Vec<f64> = (0..96 * 7)
        .map(|t| if t % 96 < 60 { 40.0 } else { -70.0 })
        .collect();
    assert!(!is_inlet(&tank));
    // Backwards at one reading in a hundred (a meter's glitch) is still an inlet; at three
    // in a hundred it is not.
    let glitchy = |every: usize| -> Vec<f64> {
        (0..1000)
            .map(|t| if t % every == 0 { -50.0 } else { 100.0 })
            .collect()
    };
    assert!(is_inlet(&glitchy(100)));
    assert!(!is_inlet(&glitchy(33)));
}

#[test]
fn districts_get_their_own_inflow_only_where_every_meter_is_an_inlet() {
    let mut panel = network(&SynthConfig {
        districts: 2,
        flow_meters: 2,
        district_inlets: true,
        ..Default::default()
    });
    let from = panel.len() - 96;
    let cfg = HydraulicConfig::default();
    let hyd = compute(&panel, &no_faults(&panel), from, &cfg);
    let names: Vec<&str> = hyd.districts.iter().map(|d| d.district.as_str()).collect();
    assert_eq!(names, ["D0", "D1"]);

    // One of the meters becomes a tank's main (filling by night): the districts' shares of
    // the water can no longer be read off the meters, and only the network's inflow remains.
    let meter = panel
        .series
        .iter()
        .position(|s| s.kind == SensorKind::Flow)
        .expect("a flow meter");
    for (t, v) in panel.series[meter].values.iter_mut().enumerate() {
        if t % 96 >= 80 {
            *v = -60.0;
        }
    }
    let hyd = compute(&panel, &no_faults(&panel), from, &cfg);
    assert!(hyd.districts.is_empty(), "{}", hyd.districts.len());
    assert!(hyd.district_of.iter().all(Option::is_none));
    let inflow = hyd.inflow.expect("the network's inflow");
    let t = panel.len() - 1;
    let sum: f64 = panel
        .series
        .iter()
        .filter(|s| s.kind == SensorKind::Flow)
        .map(|s| s.values[t])
        .sum();
    assert!((hyd.inflow_actual[t] - sum).abs() < 1e-9);
    assert!(inflow.z[t].is_finite());
}

#[test]
fn a_spread_is_learnt_from_a_week_of_residuals_at_least() {
    // Baselines exist from day 3 (three earlier working days; weekends wait for three weekend
    // days); residuals then need three quarters of a week's steps before any step is scored:
    // nothing is scored before day 10 (it was day 4 when three days' residuals were enough).
    let panel = network(&SynthConfig {
        days: 14,
        ..Default::default()
    });
    let cfg = HydraulicConfig::default();
    let hyd = compute(&panel, &no_faults(&panel), 0, &cfg);
    let inflow = hyd.inflow.expect("inflow");
    let first = |z: &[f64]| {
        z.iter()
            .position(|x| x.is_finite())
            .expect("scored at last")
    };
    let day = |t: usize| t / panel.per_day();
    let logger = hyd.pressure.iter().flatten().next().expect("a logger");
    for (what, z) in [
        ("inflow by hour", &inflow.z),
        ("inflow by day", &inflow.z_day),
        ("pressure by hour", &logger.z),
    ] {
        let d = day(first(z));
        assert!((10..=12).contains(&d), "{what} first scored on day {d}");
    }
    // Nights are scored once a week of nights is known.
    let first_night = hyd.nights.first().expect("a night").step;
    assert_eq!(day(first_night), 7, "first night {first_night}");
}

#[test]
fn a_pump_stopping_late_is_not_water_lost_but_a_steady_excess_is() {
    // A pump's main runs 1,600 L/s from 06:00 to 20:00 each day, on top of the meter's own flow
    // (some 300 L/s, whose days differ by a few per cent).
    let base = network(&SynthConfig::default());
    let meter = base
        .series
        .iter()
        .position(|s| s.kind == SensorKind::Flow)
        .expect("a flow meter");
    let per_day = base.per_day();
    let (n, last_day) = (base.len(), base.len() - per_day);
    let with = |extra: &dyn Fn(usize) -> f64| {
        let mut panel = base.clone();
        for (t, v) in panel.series[meter].values.iter_mut().enumerate() {
            let on = (24..80).contains(&(t % per_day));
            *v += if on { 1600.0 } else { 0.0 } + extra(t);
        }
        compute(
            &panel,
            &no_faults(&panel),
            last_day,
            &HydraulicConfig::default(),
        )
    };
    // Steps of the last day at which a score held 5 deviations for an hour.
    let alarms = |z: &[f64]| {
        (last_day + 3..n)
            .filter(|&t| (t - 3..=t).all(|k| z[k] >= 5.0))
            .count()
    };
    // On the last day the pump stops a quarter of an hour late: the hours' mean excess is a
    // sharp rise, their median none.
    let late = with(&|t| if t == last_day + 80 { 1600.0 } else { 0.0 });
    let q = late.inflow.expect("inflow");
    assert!(alarms(&q.z) >= 4, "the mean sees it: {}", alarms(&q.z));
    assert_eq!(alarms(q.steady()), 0);
    // The same water spread evenly over the two hours after it (200 L/s from 20:00): a steady
    // excess that both see.
    let steady = with(&|t| if t >= last_day + 80 { 200.0 } else { 0.0 });
    let q = steady.inflow.expect("inflow");
    assert!(alarms(q.steady()) >= 4, "{}", alarms(q.steady()));
    assert!(alarms(&q.z) >= 4);
    // Pressure has no such score.
    assert!(steady
        .pressure
        .iter()
        .flatten()
        .all(|p| p.z_steady.is_empty()));
}

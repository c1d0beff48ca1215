//! The detector on synthetic networks, replayed one step at a time as the job runs it.

use super::*;
use crate::hydraulic::{Hydraulics, Scored};
use crate::incidents::{IncidentTracker, TrackerEvent};
use crate::panel::{SensorKind, Series};
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
        leaks: vec![LeakSpec {
            district: 0,
            start: leak_start,
            end: None,
            lps: 40.0,
            drops: vec![0.12, 0.08, 0.03],
        }],
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

/// A leak in a district with its own inlet meter, too small for the network's inflow and
/// for the pressure loggers alone: the district's inflow finds it and names the district.
/// The leak lasts four days and stays one incident (its water keeps it open).
#[test]
fn a_leak_in_a_metered_district_is_found_by_its_inflow_and_placed_there() {
    let leak_start = 24 * 96 + 4;
    let cfg = |district_inlets| SynthConfig {
        districts: 3,
        flow_meters: 3,
        leaks: vec![LeakSpec {
            district: 2,
            start: leak_start,
            end: None,
            lps: 15.0,
            drops: vec![0.002],
        }],
        district_inlets,
        ..Default::default()
    };
    let metered = network(&cfg(true));
    let hydraulic = |panel: &Panel| -> Vec<crate::Incident> {
        replay(panel, 20 * 96)
            .into_iter()
            .filter(|i| !i.kind.is_fault())
            .collect()
    };
    let found = hydraulic(&metered);
    assert_eq!(found.len(), 1, "one event, one incident: {found:#?}");
    for inc in &found {
        assert!(
            matches!(inc.kind, IncidentKind::Leak | IncidentKind::NightFlowRise),
            "{inc:#?}"
        );
        assert_eq!(inc.district.as_deref(), Some("D2"), "{inc:#?}");
        assert!(
            inc.affected.iter().any(|a| a.node == "F2"),
            "the district's inlet is listed: {inc:#?}"
        );
        assert!(inc.explanation.contains("D2"), "{}", inc.explanation);
        assert!(inc.start >= metered.time(leak_start - 4), "{inc:#?}");
    }
    let delay = found[0].detected_at - metered.time(leak_start);
    assert!(
        (0..=6 * 3600).contains(&delay),
        "found {delay} s after the start"
    );
    // The same water spread over every meter of the network is below what the network's
    // inflow can tell from a day's variation: nothing is raised there.
    assert_eq!(hydraulic(&network(&cfg(false))), vec![]);
}

/// Two bursts in two districts, the second a day after the first while the first still runs:
/// two incidents, each placed in its district with its own nearest logger first, the second
/// raised within hours of its start rather than absorbed by the first.
#[test]
fn a_second_leak_elsewhere_while_the_first_runs_is_its_own_incident() {
    let (first, second) = (23 * 96 + 4, 24 * 96 + 40);
    let burst = |district, start| LeakSpec {
        district,
        start,
        end: None,
        lps: 40.0,
        drops: vec![0.12, 0.08, 0.03],
    };
    let panel = network(&SynthConfig {
        districts: 3,
        leaks: vec![burst(0, first), burst(2, second)],
        ..Default::default()
    });
    let found: Vec<_> = replay(&panel, 20 * 96)
        .into_iter()
        .filter(|i| !i.kind.is_fault())
        .collect();
    let placed: Vec<(IncidentKind, Option<&str>, &str)> = found
        .iter()
        .map(|i| (i.kind, i.district.as_deref(), i.affected[0].node.as_str()))
        .collect();
    assert_eq!(
        placed,
        [
            (IncidentKind::Leak, Some("D0"), "D0-P0"),
            (IncidentKind::Leak, Some("D2"), "D2-P0")
        ],
        "{found:#?}"
    );
    for (inc, start) in found.iter().zip([first, second]) {
        let delay = inc.detected_at - panel.time(start);
        assert!(
            (0..=3 * 3600).contains(&delay),
            "found {delay} s after: {inc:#?}"
        );
        assert!(inc.end.is_none(), "both still running: {inc:#?}");
    }
    assert!(
        found[0].affected.iter().all(|a| !a.node.starts_with("D2-")),
        "the second burst's loggers are not the first's: {:#?}",
        found[0]
    );
}

#[test]
fn a_burst_where_a_small_leak_runs_is_an_incident_of_its_own() {
    // A small leak near D0-P0 from day 20, then a burst at the same place two days later: the
    // burst is a new incident, found within hours, not a rise of the first one's figures.
    let (small, burst) = (20 * 96 + 40, 22 * 96 + 44);
    let leak = |start, lps, drop| LeakSpec {
        district: 0,
        start,
        end: None,
        lps,
        drops: vec![drop, drop / 3.0],
    };
    let panel = network(&SynthConfig {
        leaks: vec![leak(small, 15.0, 0.06), leak(burst, 40.0, 0.3)],
        days: 24,
        ..Default::default()
    });
    let found: Vec<_> = replay(&panel, 18 * 96)
        .into_iter()
        .filter(|i| !i.kind.is_fault())
        .collect();
    let placed: Vec<(IncidentKind, &str)> = found
        .iter()
        .map(|i| (i.kind, i.affected[0].node.as_str()))
        .collect();
    assert_eq!(
        placed,
        [(IncidentKind::Leak, "D0-P0"), (IncidentKind::Leak, "D0-P0")],
        "{found:#?}"
    );
    for (inc, start) in found.iter().zip([small, burst]) {
        let delay = inc.detected_at - panel.time(start);
        assert!(
            (0..=6 * 3600).contains(&delay),
            "found {delay} s after: {inc:#?}"
        );
    }
}

/// A burst repaired after a day and a half: its incident ends within hours of the repair,
/// although the day-scale means (pressure, inflow) still hold its last day for a day.
#[test]
fn a_repaired_burst_ends_when_its_water_stops() {
    let (start, repair) = (23 * 96 + 4, 24 * 96 + 40);
    let panel = network(&SynthConfig {
        leaks: vec![LeakSpec {
            district: 0,
            start,
            end: Some(repair),
            lps: 40.0,
            drops: vec![0.12, 0.08, 0.03],
        }],
        ..Default::default()
    });
    let found: Vec<_> = replay(&panel, 20 * 96)
        .into_iter()
        .filter(|i| !i.kind.is_fault())
        .collect();
    assert_eq!(found.len(), 1, "one event, one incident: {found:#?}");
    let leak = &found[0];
    assert_eq!(leak.kind, IncidentKind::Leak);
    let end = leak.end.expect("closed before the data end");
    let after = end - panel.time(repair);
    assert!(
        (-3600..=6 * 3600).contains(&after),
        "last evidence {after} s after the repair: {leak:#?}"
    );
}

/// `n` steps of a district D0 with loggers P0 and P1 and a meter F0 (for tests that give the
/// detector its signals directly).
fn two_loggers_and_a_meter(n: usize) -> Panel {
    let series = |node: &str, kind| Series {
        node: node.into(),
        metric: if kind == SensorKind::Flow {
            "flow_rate".into()
        } else {
            "pressure".into()
        },
        kind,
        district: Some("D0".into()),
        range: (-1.0, 1e5),
        cumulative: false,
        values: vec![4.0; n],
    };
    Panel {
        start: 1_767_571_200,
        step: 900,
        utc_offset: 0,
        series: vec![
            series("P0", SensorKind::Pressure),
            series("P1", SensorKind::Pressure),
            series("F0", SensorKind::Flow),
        ],
    }
}

/// The kinds of the hydraulic findings at step `t`, given the signals directly.
fn kinds_at(panel: &Panel, hyd: &Hydraulics, t: usize) -> Vec<IncidentKind> {
    Detector::default()
        .hydraulics_at(panel, hyd, t)
        .into_iter()
        .map(|f| f.kind)
        .collect()
}

/// A logger reading high against the others while the network's inflow runs a day-scale excess
/// (pumps run longer, tanks stand lower), even where the last hours' inflow does not show it, is
/// not reported as a rise; the same signals without that excess are.
#[test]
fn no_rise_is_reported_while_the_network_loses_water() {
    let n = 16;
    let panel = two_loggers_and_a_meter(n);
    let scored = |z: f64, residual: f64, z_day: f64, day_residual: f64| Scored {
        expected: vec![4.0; n],
        residual: vec![residual; n],
        own: vec![residual; n],
        z: vec![z; n],
        z_steady: Vec::new(),
        z_day: vec![z_day; n],
        day_residual: vec![day_residual; n],
    };
    // P0 eight deviations (0.05 bar) above the others for the last hours; the inflow 1.5
    // deviations above its usual level now (not a leak by itself), with or without 3 over the
    // last day.
    let hyd = |day_z: f64| Hydraulics {
        pressure: vec![
            Some(scored(8.0, 0.05, 0.0, 0.0)),
            Some(scored(0.0, 0.0, 0.0, 0.0)),
            None,
        ],
        inflow: Some(scored(1.5, 12.0, day_z, 12.0)),
        inflow_actual: vec![500.0; n],
        nights: Vec::new(),
        districts: Vec::new(),
        district_of: vec![None; 3],
    };
    let kinds = |hyd: &Hydraulics| kinds_at(&panel, hyd, n - 1);
    assert_eq!(
        kinds(&hyd(0.0)),
        [IncidentKind::PressureRise],
        "on an ordinary day"
    );
    // Losing water: only the leak-sustaining finding, no rise.
    assert_eq!(kinds(&hyd(3.0)), [IncidentKind::Leak]);
    // At night, while the tanks refill, the inflow of the last hours may fall below its usual
    // level with the day's excess still there: that keeps no leak open (the last hours do not
    // show the water), but the far logger reading high is still no rise.
    let night = Hydraulics {
        inflow: Some(scored(-5.0, -20.0, 3.0, 12.0)),
        ..hyd(3.0)
    };
    assert_eq!(kinds(&night), []);
}

/// A logger back at its level after a burst of days reads high against its baseline, which
/// still holds those days (the median of its last five weekdays): that is no rise. The same
/// reading without the drop in the last week is one.
#[test]
fn a_logger_back_from_a_burst_of_days_is_no_rise() {
    let per_day = 96;
    let n = 22 * per_day;
    let panel = two_loggers_and_a_meter(n);
    let flat = |z: f64, residual: f64| Scored {
        expected: vec![4.0; n],
        residual: vec![residual; n],
        own: vec![residual; n],
        z: vec![z; n],
        z_steady: Vec::new(),
        z_day: vec![0.0; n],
        day_residual: vec![0.0; n],
    };
    // P0's own residual wanders by about 0.02 bar; for the last hours it reads 0.05 bar above
    // its baseline, eight deviations above the others. With `burst`, it read 0.3 bar low for
    // two days, from four days ago.
    let kinds = |burst: bool| -> Vec<IncidentKind> {
        let mut own: Vec<f64> = (0..n).map(|t| 0.01 * ((t % 5) as f64 - 2.0)).collect();
        if burst {
            own[n - 4 * per_day..n - 2 * per_day].fill(-0.3);
        }
        own[n - 16..].fill(0.05);
        let hyd = Hydraulics {
            pressure: vec![
                Some(Scored {
                    own,
                    ..flat(8.0, 0.05)
                }),
                Some(flat(0.0, 0.0)),
                None,
            ],
            inflow: Some(flat(0.0, 0.0)),
            inflow_actual: vec![500.0; n],
            nights: Vec::new(),
            districts: Vec::new(),
            district_of: vec![None; 3],
        };
        kinds_at(&panel, &hyd, n - 1)
    };
    assert_eq!(kinds(false), [IncidentKind::PressureRise]);
    assert_eq!(kinds(true), []);
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
            .all(|i| i.last_seen <= drift[0].detected_at + 2 * 3600),
        "hydraulic incidents stop within the 2 h smoothing once the drift is known: {opened:#?}"
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

use super::*;

fn finding(kind: IncidentKind, key: &str, at: i64, node: &str, score: f64) -> Finding {
    Finding {
        opens: true,
        renewed: false,
        kind,
        key: key.into(),
        at,
        start: at - 900,
        score,
        district: Some("D1".into()),
        affected: vec![Affected {
            node: node.into(),
            metric: "pressure".into(),
            score,
            expected: Some(4.0),
            actual: Some(3.9),
            since: 0,
            seen: 0,
        }],
        explanation: format!("{node} low"),
    }
}

#[test]
fn loggers_stay_ranked_above_meters_whatever_their_scores() {
    let meter = |node: &str, score: f64| Affected {
        node: node.into(),
        metric: "flow_rate".into(),
        score,
        expected: Some(500.0),
        actual: Some(700.0),
        since: 0,
        seen: 0,
    };
    let mut first = finding(IncidentKind::Leak, "leak:D1", 0, "P1", -4.5);
    first.affected.push(meter("F1", 6.0));
    let mut tr = IncidentTracker::default();
    tr.observe(0, &[first]);
    // The inflow's score climbs far above the loggers' (a pump starts); a second logger
    // drops further than the first.
    let mut later = finding(IncidentKind::Leak, "leak:D1", 900, "P2", -5.5);
    later
        .affected
        .push(finding(IncidentKind::Leak, "", 0, "P1", -4.0).affected[0].clone());
    later.affected.push(meter("F1", 40.0));
    later.affected.push(meter("F2", 3.0));
    tr.observe(900, &[later]);
    let ranked: Vec<(&str, f64)> = tr.open[0]
        .affected
        .iter()
        .map(|a| (a.node.as_str(), a.score))
        .collect();
    assert_eq!(
        ranked,
        vec![("P2", -5.5), ("P1", -4.5), ("F1", 40.0), ("F2", 3.0)]
    );
    // Each keeps the clock it joined at.
    let since: Vec<i64> = tr.open[0].affected.iter().map(|a| a.since).collect();
    assert_eq!(since, vec![900, 0, 0, 900]);
}

#[test]
fn repeated_findings_make_one_incident_that_closes_after_quiet() {
    let mut tr = IncidentTracker::default();
    let ev = tr.observe(
        1000,
        &[finding(
            IncidentKind::PressureDrop,
            "p:P1",
            1000,
            "P1",
            -5.0,
        )],
    );
    assert!(matches!(ev[0], TrackerEvent::Opened(_)));
    let ev = tr.observe(
        1900,
        &[finding(
            IncidentKind::PressureDrop,
            "p:P1",
            1900,
            "P1",
            -7.0,
        )],
    );
    assert!(matches!(&ev[0], TrackerEvent::Updated(i) if i.score == -7.0 && i.detected_at == 1000));
    assert_eq!(tr.open.len(), 1);
    let ev = tr.observe(1900 + 12 * 3600, &[]);
    assert!(matches!(&ev[0], TrackerEvent::Closed(i) if i.end == Some(1900)));
    assert!(tr.open.is_empty());
}

#[test]
fn leak_upgrades_a_pressure_drop_and_absorbs_other_sensors() {
    let mut tr = IncidentTracker::default();
    tr.observe(
        0,
        &[finding(IncidentKind::PressureDrop, "p:P1", 0, "P1", -5.0)],
    );
    tr.observe(
        900,
        &[finding(IncidentKind::Leak, "leak:D1", 900, "P1", -6.0)],
    );
    tr.observe(
        1800,
        &[finding(
            IncidentKind::PressureDrop,
            "p:P2",
            1800,
            "P2",
            -4.5,
        )],
    );
    assert_eq!(tr.open.len(), 1);
    let inc = &tr.open[0];
    assert_eq!(inc.kind, IncidentKind::Leak);
    assert_eq!(inc.detected_at, 0);
    let nodes: Vec<(&str, i64)> = inc
        .affected
        .iter()
        .map(|a| (a.node.as_str(), a.since))
        .collect();
    assert_eq!(nodes, [("P1", 0), ("P2", 1800)]);
}

#[test]
fn sustaining_evidence_keeps_a_leak_open_but_never_opens_one() {
    // The inflow's excess, with P1 still low.
    let sustain = |at: i64, score: f64| Finding {
        opens: false,
        explanation: "inflow still high".into(),
        ..finding(IncidentKind::Leak, "leak:D1", at, "P1", score)
    };
    let mut tr = IncidentTracker::default();
    assert_eq!(tr.observe(0, &[sustain(0, 3.0)]), vec![]);
    assert!(tr.open.is_empty(), "nothing to sustain: nothing opens");
    tr.observe(
        900,
        &[finding(IncidentKind::Leak, "leak:D1", 900, "P1", -6.0)],
    );
    // Ten hours later, then twenty: only the inflow's day-scale excess remains.
    for at in [10 * 3600, 20 * 3600] {
        let ev = tr.observe(at, &[sustain(at, 9.0)]);
        assert!(matches!(&ev[..], [TrackerEvent::Updated(i)] if i.last_seen == at));
    }
    let inc = &tr.open[0];
    assert_eq!((inc.score, inc.explanation.as_str()), (-6.0, "P1 low"));
    assert_eq!(inc.affected.len(), 1, "ranking unchanged");
    // Once it stops, the quiet period runs from the last sustaining step.
    let ev = tr.observe(20 * 3600 + 12 * 3600, &[]);
    assert!(matches!(&ev[..], [TrackerEvent::Closed(i)] if i.end == Some(20 * 3600)));
}

/// The network's excess water over the last day at `at`, with the loggers still low.
fn network_water(at: i64, low: &[&str]) -> Finding {
    Finding {
        opens: false,
        district: None,
        affected: low
            .iter()
            .flat_map(|n| finding(IncidentKind::Leak, "", at, n, -3.0).affected)
            .collect(),
        explanation: "network inflow still high".into(),
        ..finding(IncidentKind::Leak, "leak:network", at, "F1", 3.0)
    }
}

#[test]
fn sustaining_evidence_extends_the_leak_seen_last() {
    // Both leaks' loggers read low on the day's mean: the water is the leak seen last's.
    let sustain = |at: i64| network_water(at, &["P1", "P5"]);
    let leak = |key: &str, at: i64, node: &str| Finding {
        district: Some(key.trim_start_matches("leak:").to_owned()),
        ..finding(IncidentKind::Leak, key, at, node, -6.0)
    };
    let mut tr = IncidentTracker::default();
    // A burst in D1, then a second leak in D2 a day later while D1's is still open.
    tr.observe(0, &[leak("leak:D1", 0, "P1")]);
    tr.observe(86_400, &[leak("leak:D2", 86_400, "P5"), sustain(86_400)]);
    // D1's burst is repaired, its logger still low on the day's mean; D2's leak goes on.
    for h in 1..=13 {
        let at = 86_400 + h * 3600;
        tr.observe(at, &[leak("leak:D2", at, "P5"), sustain(at)]);
    }
    let d1 = tr.open.iter().find(|o| o.key == "leak:D1");
    assert!(d1.is_none(), "D1 closed 12 h after its own evidence");
    assert_eq!(tr.open.len(), 1);
    assert_eq!(tr.open[0].key, "leak:D2");
    assert_eq!(tr.open[0].last_seen, 86_400 + 13 * 3600);
}

#[test]
fn water_still_flowing_keeps_open_only_leaks_whose_loggers_are_still_low() {
    // The network's excess water goes on (another, unseen leak), listing no logger low.
    let sustain = |at: i64| network_water(at, &[]);
    let mut tr = IncidentTracker::default();
    // A leak seen by a flow meter alone, in D2.
    let by_flow = Finding {
        district: Some("D2".into()),
        affected: vec![Affected {
            metric: "flow_rate".into(),
            ..finding(IncidentKind::Leak, "leak:D2", 0, "F2", 6.0).affected[0].clone()
        }],
        ..finding(IncidentKind::Leak, "leak:D2", 0, "F2", 6.0)
    };
    tr.observe(0, &[by_flow]);
    // Four hours later a burst seen at P1 in D1 (its own incident), repaired at once: P1
    // recovers, and no finding lists it low again.
    let burst = 4 * 3600;
    tr.observe(
        burst,
        &[finding(IncidentKind::Leak, "leak:D1", burst, "P1", -6.0)],
    );
    assert_eq!(tr.open.len(), 2);
    let mut closed = Vec::new();
    let last = burst + 13 * 3600;
    for at in (burst + 3600..=last).step_by(3600) {
        for ev in tr.observe(at, &[sustain(at)]) {
            if let TrackerEvent::Closed(i) = ev {
                closed.push(i);
            }
        }
    }
    assert_eq!(closed.len(), 1, "{closed:#?}");
    assert_eq!(
        (closed[0].key.as_str(), closed[0].end),
        ("leak:D1", Some(burst))
    );
    assert_eq!(tr.open.len(), 1);
    assert_eq!(tr.open[0].key, "leak:D2");
    assert_eq!(
        tr.open[0].last_seen, last,
        "the water is the flow-found leak's"
    );
}

#[test]
fn a_new_drop_where_a_logger_read_low_opens_its_own_incident() {
    let renewed = |at: i64, score: f64| Finding {
        renewed: true,
        ..finding(
            IncidentKind::PressureDrop,
            "pressure-low:P1",
            at,
            "P1",
            score,
        )
    };
    let mut tr = IncidentTracker::default();
    tr.observe(0, &[finding(IncidentKind::Leak, "leak:D1", 0, "P1", -6.0)]);
    // Within the first hours it is the same event growing.
    tr.observe(2 * 3600, &[renewed(2 * 3600, -20.0)]);
    assert_eq!(tr.open.len(), 1);
    // Hours later, a new event at P1: its own incident, where P1's evidence then goes,
    // whatever its key; the first incident is no longer extended.
    let burst = 10 * 3600;
    let ev = tr.observe(burst, &[renewed(burst, -27.0)]);
    assert!(
        matches!(&ev[..], [TrackerEvent::Opened(i)] if i.kind == IncidentKind::PressureDrop),
        "{ev:#?}"
    );
    let later = burst + 3600;
    tr.observe(
        later,
        &[finding(IncidentKind::Leak, "leak:D1", later, "P1", -27.0)],
    );
    let newer = tr.open.iter().find(|o| o.detected_at == burst).unwrap();
    assert_eq!(
        (newer.kind, newer.key.as_str(), newer.last_seen),
        (IncidentKind::Leak, "leak:D1", later)
    );
    let older = tr.open.iter().find(|o| o.detected_at == 0).unwrap();
    assert_eq!(older.last_seen, 2 * 3600);
}

#[test]
fn a_sensor_listed_long_ago_no_longer_ties_new_evidence_to_its_incident() {
    // A leak in D1 at P1, which also listed P4 of D2 once, weakly.
    let with_p4 = |at: i64| {
        let mut f = finding(IncidentKind::Leak, "leak:D1", at, "P1", -6.0);
        f.affected
            .push(finding(IncidentKind::Leak, "", at, "P4", -2.5).affected[0].clone());
        f
    };
    let p1 = |at: i64| finding(IncidentKind::Leak, "leak:D1", at, "P1", -6.0);
    let p4_drops = |at: i64| Finding {
        district: Some("D2".into()),
        ..finding(
            IncidentKind::PressureDrop,
            "pressure-low:P4",
            at,
            "P4",
            -8.0,
        )
    };
    let run = |p4_listed_again: Option<i64>| {
        let mut tr = IncidentTracker::default();
        tr.observe(0, &[with_p4(0)]);
        for at in (3600..14 * 3600).step_by(3600) {
            let f = if Some(at) == p4_listed_again {
                with_p4(at)
            } else {
                p1(at)
            };
            tr.observe(at, &[f]);
        }
        tr.observe(14 * 3600, &[p4_drops(14 * 3600)]);
        let mut keys: Vec<String> = tr.open.iter().map(|o| o.key.clone()).collect();
        keys.sort();
        keys
    };
    // Listed 14 h ago and not since: P4's drop is another event, in its own district.
    assert_eq!(run(None), vec!["leak:D1", "pressure-low:P4"]);
    // Listed 4 h ago: the leak still holds P4, and its drop joins it.
    assert_eq!(run(Some(10 * 3600)), vec!["leak:D1"]);
}

#[test]
fn faults_never_join_leaks() {
    let mut tr = IncidentTracker::default();
    tr.observe(0, &[finding(IncidentKind::Leak, "leak:D1", 0, "P1", -6.0)]);
    tr.observe(
        900,
        &[finding(
            IncidentKind::SensorStuck,
            "stuck:P1",
            900,
            "P1",
            0.0,
        )],
    );
    assert_eq!(tr.open.len(), 2);
}

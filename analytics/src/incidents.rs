//! Turns the detector's per-step findings into incidents: one event, one incident.
//!
//! Findings with the same key extend the open incident; hydraulic findings join an open leak
//! incident (a burst seen by three loggers and the inflow meter is one leak), except a drop in
//! another district that began well after the leak was known (a second burst elsewhere is
//! another incident), and a leak finding upgrades an open pressure-drop incident on the same
//! sensor. An incident closes when no finding has extended it for its kind's quiet period, so
//! an alarm that flickers is still one incident, and a new incident needs new evidence after
//! that.

use serde::{Deserialize, Serialize};

/// Drops that began within this many seconds of each other are one event spreading (the
/// detector lists them together); a drop in another district that began more than this long
/// after a leak was known is not that leak's (the tracker opens another incident).
pub(crate) const SAME_ONSET: i64 = 3 * 3600;

/// A sensor that no evidence has listed for this long (the quiet period that ends a hydraulic
/// incident) no longer ties new evidence at it to the incident that listed it.
pub(crate) const LISTING_LAPSES: i64 = 12 * 3600;

/// What kind of event an incident is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Leak,
    PressureDrop,
    PressureRise,
    NightFlowRise,
    SensorMissing,
    SensorStuck,
    SensorSpike,
    SensorOutOfRange,
    SensorDrift,
}

impl IncidentKind {
    pub fn is_fault(self) -> bool {
        matches!(
            self,
            Self::SensorMissing
                | Self::SensorStuck
                | Self::SensorSpike
                | Self::SensorOutOfRange
                | Self::SensorDrift
        )
    }

    /// Hydraulic events that may be parts of one leak.
    fn joins_leaks(self) -> bool {
        matches!(self, Self::Leak | Self::PressureDrop | Self::NightFlowRise)
    }

    /// Quiet time after which an incident of this kind is over, in seconds.
    pub fn quiet_period(self) -> i64 {
        if self.is_fault() {
            3600
        } else {
            12 * 3600
        }
    }
}

/// A sensor an incident affects, with what it was expected to read and what it read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    pub node: String,
    pub metric: String,
    /// Deviation in robust standard deviations (negative: lower than expected).
    pub score: f64,
    /// What the sensor usually reads at this time, and what it read.
    pub expected: Option<f64>,
    pub actual: Option<f64>,
    /// Run clock at which this sensor joined the incident (unix seconds).
    pub since: i64,
    /// Run clock at which evidence last listed this sensor (0 in incidents stored before this
    /// was kept: then `since` stands for it).
    #[serde(default)]
    pub seen: i64,
}

impl Affected {
    /// When evidence last listed this sensor.
    pub fn last_listed(&self) -> i64 {
        self.seen.max(self.since)
    }
}

/// Evidence of one step, from the detector.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub kind: IncidentKind,
    /// Deduplication key: findings with one key belong to one incident.
    pub key: String,
    /// Unix seconds of the step the evidence describes, and of where the deviation began.
    pub at: i64,
    pub start: i64,
    pub score: f64,
    pub district: Option<String>,
    /// Ranked, most affected first.
    pub affected: Vec<Affected>,
    pub explanation: String,
    /// False for evidence that only keeps an open incident alive (a leak's water still
    /// flowing, below the level that would raise it anew): it never opens one.
    pub opens: bool,
    /// A new drop at a logger that already read low (a burst where a small leak runs): it is
    /// not taken into an incident that has held that logger for hours, but opens its own.
    pub renewed: bool,
}

/// An incident as the tracker keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable identity: the key and clock it was opened with (the key may change on upgrade).
    pub uid: String,
    pub key: String,
    pub kind: IncidentKind,
    pub start: i64,
    /// The run clock at which it was first reported.
    pub detected_at: i64,
    /// Last step with evidence.
    pub last_seen: i64,
    /// Set when the incident is over.
    pub end: Option<i64>,
    pub score: f64,
    pub district: Option<String>,
    pub affected: Vec<Affected>,
    pub explanation: String,
}

/// What changed in one tracker step.
#[derive(Clone, Debug, PartialEq)]
pub enum TrackerEvent {
    Opened(Incident),
    Updated(Incident),
    Closed(Incident),
}

/// Open incidents and the rules that extend and close them.
#[derive(Clone, Debug, Default)]
pub struct IncidentTracker {
    pub open: Vec<Incident>,
}

impl IncidentTracker {
    pub fn new(open: Vec<Incident>) -> Self {
        Self { open }
    }

    /// Applies the findings of one run at `clock`; returns what changed.
    pub fn observe(&mut self, clock: i64, findings: &[Finding]) -> Vec<TrackerEvent> {
        let mut changed: Vec<usize> = Vec::new();
        let mut events = Vec::new();
        for f in findings {
            match self.target(f) {
                Some(i) => {
                    merge(&mut self.open[i], f, clock);
                    changed.push(i);
                }
                None if !f.opens => {}
                None => {
                    let mut affected = f.affected.clone();
                    for a in &mut affected {
                        a.since = clock;
                        a.seen = clock;
                    }
                    self.open.push(Incident {
                        uid: format!("{}@{clock}", f.key),
                        key: f.key.clone(),
                        kind: f.kind,
                        start: f.start,
                        detected_at: clock,
                        last_seen: f.at,
                        end: None,
                        score: f.score,
                        district: f.district.clone(),
                        affected,
                        explanation: f.explanation.clone(),
                    });
                    events.push(TrackerEvent::Opened(
                        self.open.last().cloned().expect("just pushed"),
                    ));
                }
            }
        }
        changed.sort_unstable();
        changed.dedup();
        for i in changed {
            events.push(TrackerEvent::Updated(self.open[i].clone()));
        }
        let mut still_open = Vec::with_capacity(self.open.len());
        for mut inc in std::mem::take(&mut self.open) {
            if clock - inc.last_seen >= inc.kind.quiet_period() {
                inc.end = Some(inc.last_seen);
                events.push(TrackerEvent::Closed(inc));
            } else {
                still_open.push(inc);
            }
        }
        self.open = still_open;
        events
    }

    /// The open incident a finding belongs to, if any.
    fn target(&self, f: &Finding) -> Option<usize> {
        let top = f.affected.first().map(|a| (&a.node, &a.metric));
        let lists_top = |o: &Incident, fresh: bool| {
            top.is_some_and(|(n, m)| {
                o.affected.iter().any(|a| {
                    &a.node == n
                        && &a.metric == m
                        && (!fresh || f.at - a.last_listed() < LISTING_LAPSES)
                })
            })
        };
        // An incident holds a sensor while evidence keeps listing it: one listed once, days
        // ago, at a couple of deviations, says nothing about where today's drop belongs.
        let shares_top = |o: &Incident| lists_top(o, true);
        // A new drop where a logger already read low is another event than the incident that
        // has held that logger for hours: it opens its own, which its evidence then goes on in.
        let held =
            |o: &Incident| f.renewed && f.at - o.detected_at > SAME_ONSET && lists_top(o, false);
        // Its own key's incident, or, for hydraulic evidence at a logger, the newest incident
        // of its district that holds that logger if newer (after such a drop, the evidence goes
        // on in the new incident, whichever kind either began as).
        let hydraulic = f.opens && f.kind.joins_leaks();
        if let Some((i, _)) = self
            .open
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                let holds_top =
                    hydraulic && o.kind.joins_leaks() && o.district == f.district && shares_top(o);
                (o.key == f.key || holds_top) && !held(o)
            })
            .max_by_key(|(_, o)| o.detected_at)
        {
            return Some(i);
        }
        // Evidence without a district (the network's) may belong to any district's leak.
        let same_district =
            |o: &Incident| o.district.is_none() || f.district.is_none() || o.district == f.district;
        if !f.opens {
            // Water still flowing is a leak's whose loggers are still low (the finding lists
            // those), or one found without a logger; with two leaks open, the one seen last:
            // a burst repaired while another runs stops being extended by the other's water.
            let still_low = |o: &Incident| {
                o.affected
                    .iter()
                    .find(|a| a.metric == "pressure")
                    .is_none_or(|top| f.affected.iter().any(|a| a.node == top.node))
            };
            return self
                .open
                .iter()
                .enumerate()
                .filter(|(_, o)| o.kind == f.kind && same_district(o) && still_low(o))
                .max_by_key(|(_, o)| (o.last_seen, o.detected_at))
                .map(|(i, _)| i);
        }
        if !f.kind.joins_leaks() {
            return None;
        }
        // An open leak takes in the hydraulic evidence of the same time: one event, one
        // incident (one burst's pressure drop reaches the next district, and its water every
        // meter downstream). Except a new event elsewhere: a pressure logger of another
        // district, not among the leak's sensors, whose drop began well after the leak was
        // known.
        let elsewhere = |o: &Incident| {
            !same_district(o)
                && f.start - o.detected_at > SAME_ONSET
                && top.is_some_and(|(_, m)| m == "pressure")
                && !shares_top(o)
        };
        let leaks = || {
            self.open
                .iter()
                .enumerate()
                .filter(|(_, o)| o.kind == IncidentKind::Leak && !held(o))
        };
        let joined = leaks()
            .find(|(_, o)| same_district(o))
            .or_else(|| leaks().find(|(_, o)| !elsewhere(o)));
        if let Some((i, _)) = joined {
            return Some(i);
        }
        // A leak finding upgrades an open pressure drop or night-flow incident it overlaps.
        if f.kind == IncidentKind::Leak {
            return self.open.iter().position(|o| {
                !held(o)
                    && ((o.kind == IncidentKind::NightFlowRise && same_district(o))
                        || (o.kind == IncidentKind::PressureDrop && shares_top(o)))
            });
        }
        None
    }
}

fn merge(inc: &mut Incident, f: &Finding, clock: i64) {
    if !f.opens {
        // Only keeps the incident alive: its ranking, score and words stay the evidence's.
        inc.last_seen = inc.last_seen.max(f.at);
        return;
    }
    if f.kind == IncidentKind::Leak && inc.kind != IncidentKind::Leak {
        inc.kind = IncidentKind::Leak;
        inc.key = f.key.clone();
        inc.explanation = f.explanation.clone();
        inc.district = f.district.clone();
    }
    inc.last_seen = inc.last_seen.max(f.at);
    inc.start = inc.start.min(f.start);
    if f.score.abs() > inc.score.abs() {
        inc.score = f.score;
        if f.kind == inc.kind {
            inc.explanation = f.explanation.clone();
        }
    }
    for a in &f.affected {
        match inc
            .affected
            .iter_mut()
            .find(|x| x.node == a.node && x.metric == a.metric)
        {
            Some(x) if a.score.abs() > x.score.abs() => {
                *x = Affected {
                    since: x.since,
                    seen: clock,
                    ..a.clone()
                }
            }
            Some(x) => x.seen = clock,
            None => inc.affected.push(Affected {
                since: clock,
                seen: clock,
                ..a.clone()
            }),
        }
    }
    rank(&mut inc.affected);
}

/// Orders an incident's sensors as the detector lists them: the pressure loggers first, which
/// say where the event is, most deviating first; then the meters, which say how much water it
/// takes but not where (an inlet meter at the plant sees every district's leak). The two
/// scores are not comparable: an inflow reads tens of deviations high whenever a pump starts
/// early, so ranking by score alone would put the plant's meter above the logger by the leak.
fn rank(affected: &mut [Affected]) {
    affected.sort_by(|a, b| {
        (b.metric == "pressure")
            .cmp(&(a.metric == "pressure"))
            .then(b.score.abs().total_cmp(&a.score.abs()))
    });
}

#[cfg(test)]
mod tests {
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
        assert!(
            matches!(&ev[0], TrackerEvent::Updated(i) if i.score == -7.0 && i.detected_at == 1000)
        );
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
}

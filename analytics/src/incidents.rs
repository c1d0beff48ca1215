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
                    rank(&mut affected);
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

/// Orders an incident's sensors, when it opens and whenever it takes in evidence: the pressure
/// loggers first, which say where the event is, most deviating first; then the meters, which
/// say how much water it takes but not where (an inlet meter at the plant sees every district's leak). The two
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
mod tests;

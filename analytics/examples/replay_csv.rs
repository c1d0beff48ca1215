//! Replays a folder of `nodes.csv` + `readings.csv` through the detector in memory, one 15-minute
//! run at a time with only the data up to each run's clock, and prints the detections as JSON.
//! A development aid for the detector; the product's replay command (`server replay`) does the same
//! through the database and the anomaly job.
//!
//! cargo run --release -p analytics --example replay_csv -- DIR > detections.json

use analytics::incidents::{IncidentTracker, TrackerEvent};
use analytics::zones::{by_location, zone_name, Located};
use analytics::{Detector, Panel, SensorKind, Series};
use std::collections::{BTreeMap, HashMap};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: replay_csv DIR");
    let mut kinds = HashMap::new();
    let mut located = Vec::new();
    let mut rdr = csv::Reader::from_path(format!("{dir}/nodes.csv")).expect("nodes.csv");
    for rec in rdr.records() {
        let rec = rec.expect("row");
        kinds.insert(rec[0].to_string(), (rec[2].to_string(), rec[5].to_string()));
        let (lat, lon) = (rec[3].parse().ok(), rec[4].parse().ok());
        located.push((
            rec[0].to_string(),
            lat.zip(lon).map(|(lat, lon)| Located {
                lat,
                lon,
                logger: &rec[2] == "pressure",
            }),
        ));
    }
    // Without districts, zones by location stand in for them, as the anomaly job draws them.
    if kinds.values().all(|k| k.1.is_empty()) && std::env::var("NO_ZONES").is_err() {
        let places: Vec<Option<Located>> = located.iter().map(|(_, l)| *l).collect();
        for ((node, _), zone) in located.iter().zip(by_location(&places)) {
            if let (Some(k), Some(z)) = (kinds.get_mut(node), zone) {
                k.1 = zone_name(z);
            }
        }
    }
    let mut raw: BTreeMap<(String, String), Vec<(i64, f64)>> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(format!("{dir}/readings.csv")).expect("readings.csv");
    let (mut t0, mut t1) = (i64::MAX, i64::MIN);
    for rec in rdr.records() {
        let rec = rec.expect("row");
        let ts = chrono::DateTime::parse_from_rfc3339(&rec[0])
            .expect("time")
            .timestamp();
        t0 = t0.min(ts);
        t1 = t1.max(ts);
        raw.entry((rec[1].to_string(), rec[2].to_string()))
            .or_default()
            .push((ts, rec[3].parse().expect("value")));
    }
    let step = 900;
    let len = ((t1 - t0) / step + 1) as usize;
    let series: Vec<Series> = raw
        .into_iter()
        .map(|((node, metric), pts)| {
            let mut values = vec![f64::NAN; len];
            for (ts, v) in pts {
                values[((ts - t0) / step) as usize] = v;
            }
            let kind = match metric.as_str() {
                "pressure" => SensorKind::Pressure,
                "flow_rate" => SensorKind::Flow,
                _ => SensorKind::Other,
            };
            let range = match metric.as_str() {
                "pressure" => (-1.0, 25.0),
                "flow_rate" => (-100_000.0, 100_000.0),
                _ => (f64::MIN, f64::MAX),
            };
            let district = kinds
                .get(&node)
                .map(|k| k.1.clone())
                .filter(|d| !d.is_empty());
            Series {
                node,
                cumulative: metric == "volume",
                metric,
                kind,
                district,
                range,
                values,
            }
        })
        .collect();
    let full = Panel {
        start: t0,
        step,
        utc_offset: 3600,
        series,
    };
    let det = Detector::default();
    let hist = det.history_steps(full.per_day());
    let mut tracker = IncidentTracker::default();
    let mut incidents = Vec::new();
    // REPLAY_TRACE=1 prints every hydraulic finding to stderr (what opened or extended what).
    let trace = std::env::var_os("REPLAY_TRACE").is_some();
    for t in 0..len {
        let lo = t.saturating_sub(hist);
        let window = Panel {
            start: full.time(lo),
            step,
            utc_offset: full.utc_offset,
            series: full
                .series
                .iter()
                .map(|s| Series {
                    values: s.values[lo..=t].to_vec(),
                    ..s.clone()
                })
                .collect(),
        };
        let signals = det.scan(&window, t - lo);
        let findings: Vec<_> = signals.into_iter().flat_map(|s| s.findings).collect();
        for f in findings.iter().filter(|f| trace && !f.kind.is_fault()) {
            eprintln!(
                "{} {} opens={} {} [{}]",
                full.time(t),
                f.key,
                f.opens,
                f.explanation,
                f.affected
                    .iter()
                    .map(|a| format!("{} {:.1}", a.node, a.score))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for ev in tracker.observe(full.time(t), &findings) {
            match ev {
                TrackerEvent::Opened(i) => incidents.push(i),
                TrackerEvent::Updated(i) | TrackerEvent::Closed(i) => {
                    if let Some(x) = incidents.iter_mut().find(|x| x.uid == i.uid) {
                        *x = i;
                    }
                }
            }
        }
    }
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .expect("time")
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    // One record per affected sensor (the scorer's format names one sensor per detection): a
    // fault names its sensor; a hydraulic incident its two most affected loggers or meters.
    let mut out: Vec<serde_json::Value> = Vec::new();
    for i in &incidents {
        let kind = if i.kind.is_fault() {
            "fault"
        } else if i.kind == analytics::IncidentKind::Leak {
            "leak"
        } else {
            "anomaly"
        };
        let take = if i.kind.is_fault() { 1 } else { 2 };
        for a in i.affected.iter().take(take) {
            out.push(serde_json::json!({
                "node_id": a.node, "metric": a.metric, "kind": kind, "type": format!("{:?}", i.kind),
                "detected_at": fmt(a.since.max(i.detected_at)), "start": fmt(i.start), "end": fmt(i.end.unwrap_or(i.last_seen)),
                "score": a.score,
            }));
        }
    }
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}

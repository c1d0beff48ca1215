//! Development aid: prints the extremes of the detector's hydraulic z-scores over a data folder,
//! per day, on the hour scale (default), the day scale (`day`) or the inflow's steady one
//! (`steady`): `zdump DIR [hour|day|steady]`; `csv` prints every step's day-scale z, day residual
//! and hour-scale z of each logger and inflow. Districts come from `DIR/nodes.csv` when present,
//! so metered districts' inflows are printed too.
use analytics::faults::classify;
use analytics::hydraulic::{compute, HydraulicConfig};
use analytics::{Panel, SensorKind, Series};
use std::collections::BTreeMap;

fn main() {
    let dir = std::env::args().nth(1).expect("DIR");
    let scale = std::env::args().nth(2).unwrap_or_else(|| "hour".into());
    let mut districts = BTreeMap::new();
    if let Ok(mut rdr) = csv::Reader::from_path(format!("{dir}/nodes.csv")) {
        for rec in rdr.records().flatten() {
            districts.insert(rec[0].to_string(), rec[5].to_string());
        }
    }
    let mut raw: BTreeMap<(String, String), Vec<(i64, f64)>> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(format!("{dir}/readings.csv")).expect("readings");
    let (mut t0, mut t1) = (i64::MAX, i64::MIN);
    for rec in rdr.records() {
        let rec = rec.expect("row");
        let ts = chrono::DateTime::parse_from_rfc3339(&rec[0])
            .expect("t")
            .timestamp();
        t0 = t0.min(ts);
        t1 = t1.max(ts);
        raw.entry((rec[1].to_string(), rec[2].to_string()))
            .or_default()
            .push((ts, rec[3].parse().expect("v")));
    }
    let len = ((t1 - t0) / 900 + 1) as usize;
    let series: Vec<Series> = raw
        .into_iter()
        .filter(|((_, m), _)| m != "volume")
        .map(|((node, metric), pts)| {
            let mut values = vec![f64::NAN; len];
            for (ts, v) in pts {
                values[((ts - t0) / 900) as usize] = v;
            }
            let kind = if metric == "pressure" {
                SensorKind::Pressure
            } else {
                SensorKind::Flow
            };
            Series {
                district: districts.get(&node).cloned(),
                node,
                metric,
                kind,
                range: (-1e9, 1e9),
                cumulative: false,
                values,
            }
        })
        .collect();
    let panel = Panel {
        start: t0,
        step: 900,
        utc_offset: 3600,
        series,
    };
    let masks: Vec<_> = panel
        .series
        .iter()
        .map(|s| classify(s, &Default::default()))
        .collect();
    let h = compute(&panel, &masks, 0, &HydraulicConfig::default());
    let fmt = |i: usize| {
        chrono::DateTime::from_timestamp(panel.time(i), 0)
            .unwrap()
            .format("%m-%d %H:%M")
            .to_string()
    };
    let daily = |z: &[f64], name: &str| {
        let mut line = format!("{name:>4}");
        for d in 0..len / 96 {
            let seg = &z[d * 96..(d + 1) * 96];
            let m = seg
                .iter()
                .copied()
                .filter(|x| x.is_finite())
                .fold(f64::NAN, |a, b| {
                    if a.is_nan() || b.abs() > a.abs() {
                        b
                    } else {
                        a
                    }
                });
            line += &if m.is_nan() {
                "   .".to_string()
            } else {
                format!("{:4.0}", m)
            };
        }
        println!("{line}");
    };
    println!(
        "day  {}",
        (0..len / 96)
            .map(|d| fmt(d * 96)[3..5].to_string())
            .map(|s| format!("{s:>4}"))
            .collect::<String>()
    );
    if scale == "csv" {
        // Every step: each logger's day-scale z and day residual (bar), then the inflows'.
        let mut cols: Vec<(String, &analytics::hydraulic::Scored)> = panel
            .series
            .iter()
            .enumerate()
            .filter_map(|(i, s)| h.pressure[i].as_ref().map(|sc| (s.node.clone(), sc)))
            .collect();
        cols.extend(
            h.districts
                .iter()
                .map(|d| (format!("Q{}", d.district), &d.inflow)),
        );
        cols.extend(h.inflow.iter().map(|q| ("Q".to_string(), q)));
        let head: Vec<String> = cols
            .iter()
            .map(|(n, _)| format!("{n}:z,{n}:r,{n}:zh"))
            .collect();
        println!("t,{}", head.join(","));
        for t in 0..len {
            let row: Vec<String> = cols
                .iter()
                .map(|(_, sc)| {
                    format!(
                        "{:.3},{:.5},{:.3}",
                        sc.z_day[t], sc.day_residual[t], sc.z[t]
                    )
                })
                .collect();
            println!("{},{}", panel.time(t), row.join(","));
        }
        return;
    }
    let pick = |sc: &analytics::hydraulic::Scored| -> Vec<f64> {
        match scale.as_str() {
            "day" => sc.z_day.clone(),
            "steady" => sc.steady().to_vec(),
            _ => sc.z.clone(),
        }
    };
    for (i, s) in panel.series.iter().enumerate() {
        if let Some(sc) = &h.pressure[i] {
            daily(&pick(sc), &s.node);
        }
    }
    for d in &h.districts {
        daily(
            &pick(&d.inflow),
            &format!("Q{}", &d.district[d.district.len().saturating_sub(1)..]),
        );
    }
    if let Some(q) = &h.inflow {
        daily(&pick(q), "Q");
    }
    for n in &h.nights {
        print!("{}:{:.1} ", &fmt(n.step)[..5], n.z);
    }
    println!();
}

//! Forecast accuracy on held-out weeks of a data folder (`readings.csv` of the benchmark shape):
//! for every flow meter and for the network inflow (their sum), hourly means; for each of the
//! last two whole weeks, a 7-day forecast from the data before it, compared with the
//! seasonal-naive forecast (the same hour a week earlier). Prints, per week, the weight each
//! member of the combination got from its own backtest, and, per series, the ratio of the
//! mean absolute errors (the MASE against seasonal naive: below 1 beats it) and the share of
//! actual hours inside the 95 % prediction interval.
//!
//! With `FORECAST_DUMP=FILE` it also writes every held-out hour as CSV (series, week, unix
//! time, actual, point forecast, interval, seasonal naive), for analyses by period.
//!
//! cargo run --release -p analytics --example forecast_eval -- ../shared/bench/leaks

use analytics::forecast::{coverage, forecast_hourly, mae, seasonal_naive, Member, WEEK};
use std::collections::BTreeMap;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: forecast_eval DIR");
    let mut sums: BTreeMap<String, BTreeMap<i64, (f64, u32)>> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(format!("{dir}/readings.csv")).expect("readings.csv");
    for rec in rdr.records() {
        let rec = rec.expect("row");
        if &rec[2] != "flow_rate" {
            continue;
        }
        let ts = chrono::DateTime::parse_from_rfc3339(&rec[0])
            .expect("time")
            .timestamp();
        let v: f64 = rec[3].parse().expect("value");
        let e = sums
            .entry(rec[1].to_string())
            .or_default()
            .entry(ts - ts.rem_euclid(3600))
            .or_insert((0.0, 0));
        e.0 += v;
        e.1 += 1;
    }
    let t0 = sums
        .values()
        .flat_map(|m| m.keys())
        .min()
        .copied()
        .expect("data");
    let t1 = sums
        .values()
        .flat_map(|m| m.keys())
        .max()
        .copied()
        .expect("data");
    let hours = ((t1 - t0) / 3600 + 1) as usize;
    let mut series: BTreeMap<String, Vec<f64>> = sums
        .iter()
        .map(|(node, m)| {
            let mut v = vec![f64::NAN; hours];
            for (ts, (s, n)) in m {
                v[((ts - t0) / 3600) as usize] = s / f64::from(*n);
            }
            (node.clone(), v)
        })
        .collect();
    let total: Vec<f64> = (0..hours)
        .map(|h| series.values().map(|v| v[h]).sum())
        .collect();
    series.insert("network inflow".into(), total);
    let weeks = hours / WEEK;
    let mut dump = std::env::var("FORECAST_DUMP").ok().map(|path| {
        let mut w = csv::Writer::from_path(path).expect("FORECAST_DUMP file");
        w.write_record([
            "series", "week", "ts", "actual", "point", "lower", "upper", "naive",
        ])
        .expect("write");
        w
    });
    println!("| series | held-out week | MAE combination | MAE seasonal naive | MASE vs naive | 95 % interval coverage | weights (MSTL+ETS / week profile / day median / naive) |");
    println!("|---|---|---:|---:|---:|---:|---|");
    let mut ratios = Vec::new();
    for (name, v) in &series {
        let (mut m_sum, mut n_sum, mut cov_sum) = (0.0, 0.0, 0.0);
        for w in weeks - 2..weeks {
            let (train, test) = (&v[..w * WEEK], &v[w * WEEK..(w + 1) * WEEK]);
            let (method, fc) = forecast_hourly(train, WEEK, 0.95).expect("forecast");
            let filled = analytics::forecast::fill_gaps(train).expect("history");
            let naive = seasonal_naive(&filled, WEEK, WEEK);
            let (m, n) = (
                mae(test, &fc.point).expect("mae"),
                mae(test, &naive).expect("mae"),
            );
            let cov = coverage(test, &fc.lower, &fc.upper).expect("coverage");
            if let Some(w_out) = dump.as_mut() {
                for (h, y) in test.iter().enumerate() {
                    let ts = t0 + ((w * WEEK + h) * 3600) as i64;
                    w_out
                        .write_record([
                            name.clone(),
                            (w + 1).to_string(),
                            ts.to_string(),
                            y.to_string(),
                            fc.point[h].to_string(),
                            fc.lower[h].to_string(),
                            fc.upper[h].to_string(),
                            naive[h].to_string(),
                        ])
                        .expect("write");
                }
            }
            let weights: Vec<String> = Member::ALL
                .iter()
                .map(|k| {
                    let w = method
                        .weights
                        .iter()
                        .find(|(m, _)| m == k)
                        .map_or(0.0, |x| x.1);
                    format!("{:.0} %", 100.0 * w)
                })
                .collect();
            println!(
                "| {name} | {} | {m:.2} | {n:.2} | {:.3} | {:.1} % | {} |",
                w + 1,
                m / n,
                100.0 * cov,
                weights.join(" / ")
            );
            m_sum += m;
            n_sum += n;
            cov_sum += cov;
        }
        ratios.push((name.clone(), m_sum / n_sum, cov_sum / 2.0));
    }
    if let Some(mut w) = dump {
        w.flush().expect("flush");
    }
    println!();
    for (name, r, c) in ratios {
        println!(
            "{name}: MASE vs seasonal naive {r:.3} over both weeks, coverage {:.1} %",
            100.0 * c
        );
    }
}

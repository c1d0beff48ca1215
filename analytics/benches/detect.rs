//! A detection pass over 1,000 sensors × 30 days of 15-minute data (the speed target:
//! under 10 s on a 2-core machine). Synthetic network from `analytics::synth`, with a burst.
//!
//! cargo bench -p analytics --bench detect

use analytics::synth::{network, LeakSpec, SynthConfig};
use analytics::Detector;
use criterion::{criterion_group, criterion_main, Criterion};

fn detect(c: &mut Criterion) {
    let cfg = SynthConfig {
        districts: 20,
        loggers_per_district: 45,
        flow_meters: 100,
        days: 30,
        leaks: vec![LeakSpec {
            district: 3,
            start: 25 * 96,
            end: None,
            lps: 40.0,
            drops: vec![0.12, 0.08, 0.03],
        }],
        ..Default::default()
    };
    let panel = network(&cfg);
    assert_eq!(panel.series.len(), 1000);
    let det = Detector::default();
    let mut group = c.benchmark_group("detect");
    group.sample_size(10);
    group.bench_function("1000 sensors x 30 days, full pass", |b| {
        b.iter(|| {
            let steps = det.scan(&panel, 0);
            assert_eq!(steps.len(), 30 * 96);
            steps
        })
    });
    // What the 15-minute job does: one new step, with the weeks before it as history.
    group.bench_function("1000 sensors, one 15-minute run", |b| {
        b.iter(|| det.scan(&panel, panel.len() - 1))
    });
    group.finish();
}

criterion_group!(benches, detect);
criterion_main!(benches);

//! Deterministic benchmark data: `nodes.csv` and a long-shape `readings.csv` for N nodes at
//! 15-minute steps, values from the demo network model (diurnal demand, pressure falling
//! with flow, seeded noise). Same arguments, same bytes.
//!
//! cargo bench -p server --bench gen_readings -- --nodes 1000 --steps 5000 --out DIR

use chrono::{DateTime, Duration, Utc};
use server::demo::model::{self, DemoNode, NODES};
use shared::{Metric, NodeKind};
use std::io::{BufWriter, Write};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn main() -> std::io::Result<()> {
    let nodes: usize = arg("--nodes", "1000").parse().expect("--nodes N");
    let steps: i64 = arg("--steps", "5000").parse().expect("--steps N");
    let seed: u64 = arg("--seed", "42").parse().expect("--seed N");
    let out = std::path::PathBuf::from(arg("--out", "target/bench-data"));
    std::fs::create_dir_all(&out)?;
    let start: DateTime<Utc> = "2025-01-01T00:00:00Z".parse().expect("constant");

    // Every generated node borrows the behaviour of one demo node (flow meters and loggers).
    let templates: Vec<&DemoNode> = NODES.iter().filter(|n| n.kind != NodeKind::Tank).collect();
    let names: Vec<String> = (0..nodes).map(|i| format!("N{i:05}")).collect();
    let mut f = BufWriter::new(std::fs::File::create(out.join("nodes.csv"))?);
    writeln!(f, "node_id,name,kind,lat,lon,district")?;
    for (i, name) in names.iter().enumerate() {
        let t = templates[i % templates.len()];
        writeln!(
            f,
            "{name},Bench {} {i},{},{:.6},{:.6},DMA-{}",
            t.kind.as_str(),
            t.kind.as_str(),
            t.lat + (i as f64 * 0.0007) % 0.05,
            t.lon + (i as f64 * 0.0011) % 0.05,
            i % 20
        )?;
    }
    f.flush()?;

    let mut f = BufWriter::with_capacity(1 << 20, std::fs::File::create(out.join("readings.csv"))?);
    writeln!(f, "timestamp,node_id,metric,value")?;
    for step in 0..steps {
        let ts = start + Duration::minutes(15 * step);
        let stamp = ts.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for (i, name) in names.iter().enumerate() {
            let t = templates[i % templates.len()];
            let metric = if t.kind == NodeKind::Flow {
                Metric::FlowRate
            } else {
                Metric::Pressure
            };
            let value = model::value(seed.wrapping_add(i as u64), t, metric, ts);
            writeln!(f, "{stamp},{name},{},{value}", metric.as_str())?;
        }
    }
    f.flush()?;
    eprintln!(
        "wrote {} nodes and {} readings to {}",
        nodes,
        nodes as i64 * steps,
        out.display()
    );
    Ok(())
}

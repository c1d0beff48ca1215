//! Readings CSV in the two shapes utilities export, told apart by the header:
//! long `timestamp,node_id,metric,value[,quality]` and wide
//! `timestamp,node_id,<metric>,<metric>,…` (e.g. `flow_rate,pressure,temperature,total_flow`).

use chrono::{DateTime, Utc};
use shared::ingest::RowRejection;
use shared::Metric;
use std::io::Read;

/// One reading as read from the file, before its node is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedReading {
    /// Line of the file it came from (header is line 1).
    pub line: u64,
    /// The node's external id.
    pub node: String,
    /// What was measured.
    pub metric: Metric,
    /// When, UTC.
    pub ts: DateTime<Utc>,
    /// Value in the metric's unit.
    pub value: f64,
    /// Source quality flags.
    pub quality: i32,
}

/// The layout of a readings file.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// One reading per line.
    Long {
        ts: usize,
        node: usize,
        metric: usize,
        value: usize,
        quality: Option<usize>,
    },
    /// One line per node and time, one column per metric.
    Wide {
        ts: usize,
        node: usize,
        columns: Vec<(usize, Metric)>,
    },
}

/// A wide-file column name as a metric (`total_flow` is the totaliser volume).
fn wide_metric(name: &str) -> Option<Metric> {
    match name {
        "total_flow" | "totaliser" | "totalizer" => Some(Metric::Volume),
        other => other.parse().ok(),
    }
}

/// Works out the shape from the header row, or says what is wrong with it.
pub fn detect(header: &csv::StringRecord) -> Result<Shape, String> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let find = |n: &str| names.iter().position(|h| h == n);
    let (Some(ts), Some(node)) = (find("timestamp"), find("node_id")) else {
        return Err("the header must contain `timestamp` and `node_id`".into());
    };
    if let (Some(metric), Some(value)) = (find("metric"), find("value")) {
        return Ok(Shape::Long {
            ts,
            node,
            metric,
            value,
            quality: find("quality"),
        });
    }
    let mut columns = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i == ts || i == node {
            continue;
        }
        match wide_metric(name) {
            Some(m) => columns.push((i, m)),
            None => {
                return Err(format!(
                    "unknown column `{name}`: expected `metric,value` (long shape) or metric \
                     columns such as flow_rate, pressure, temperature, total_flow (wide shape)"
                ))
            }
        }
    }
    if columns.is_empty() {
        return Err(
            "no metric columns: expected `metric,value` or columns such as flow_rate".into(),
        );
    }
    Ok(Shape::Wide { ts, node, columns })
}

fn rejection(line: u64, field: &str, reason: impl Into<String>) -> RowRejection {
    RowRejection {
        line,
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parses an RFC 3339 timestamp into UTC.
pub fn parse_ts(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{raw}` is not an RFC 3339 timestamp (e.g. 2026-01-05T00:15:00Z)"))
}

/// Parses a value and checks it against the metric's physical range.
pub fn parse_value(metric: Metric, raw: &str) -> Result<f64, String> {
    let v: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("`{raw}` is not a number"))?;
    if !v.is_finite() {
        return Err(format!("`{raw}` is not a finite number"));
    }
    if !metric.accepts(v) {
        let (lo, hi) = metric.physical_range();
        return Err(format!(
            "{v} is outside the physical range of {metric} ({lo} to {hi} {})",
            metric.unit()
        ));
    }
    Ok(v)
}

/// Streams readings out of a CSV source in batches.
pub struct ReadingsCsv<R: Read> {
    reader: csv::Reader<R>,
    shape: Shape,
    record: csv::StringRecord,
}

/// One batch of parsed readings and the rejections met while reading them.
#[derive(Debug, Default)]
pub struct Batch {
    /// Readings that parsed and validated.
    pub readings: Vec<ParsedReading>,
    /// Lines (or cells) that did not.
    pub rejections: Vec<RowRejection>,
}

impl<R: Read> ReadingsCsv<R> {
    /// Reads the header and detects the shape.
    pub fn new(input: R) -> Result<Self, RowRejection> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|e| rejection(1, "header", format!("unreadable header: {e}")))?
            .clone();
        let shape = detect(&header).map_err(|reason| rejection(1, "header", reason))?;
        Ok(Self {
            reader,
            shape,
            record: csv::StringRecord::new(),
        })
    }

    /// The detected shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Reads up to `max` readings (fewer at the end); `None` once the input is exhausted.
    pub fn next_batch(&mut self, max: usize) -> Option<Batch> {
        let mut batch = Batch::default();
        let mut any = false;
        while batch.readings.len() < max {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => break,
                Ok(true) => {
                    any = true;
                    let line = self.record.position().map_or(0, |p| p.line());
                    self.parse_record(line, &mut batch);
                }
                Err(e) => {
                    any = true;
                    let line = e.position().map_or(0, |p| p.line());
                    batch
                        .rejections
                        .push(rejection(line, "row", format!("unreadable row: {e}")));
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        break;
                    }
                }
            }
        }
        any.then_some(batch)
    }

    fn parse_record(&self, line: u64, batch: &mut Batch) {
        let rec = &self.record;
        let cell = |i: usize| rec.get(i).unwrap_or("");
        match &self.shape {
            Shape::Long {
                ts,
                node,
                metric,
                value,
                quality,
            } => {
                let parsed = (|| {
                    let node_id = cell(*node);
                    if node_id.is_empty() {
                        return Err(rejection(line, "node_id", "is empty"));
                    }
                    let ts = parse_ts(cell(*ts)).map_err(|r| rejection(line, "timestamp", r))?;
                    let metric: Metric =
                        cell(*metric)
                            .parse()
                            .map_err(|e: shared::metric::UnknownMetric| {
                                rejection(line, "metric", e.to_string())
                            })?;
                    let value = parse_value(metric, cell(*value))
                        .map_err(|r| rejection(line, "value", r))?;
                    let quality = match quality.map(cell).filter(|q| !q.is_empty()) {
                        None => 0,
                        Some(q) => q.parse().map_err(|_| {
                            rejection(line, "quality", format!("`{q}` is not an integer"))
                        })?,
                    };
                    Ok(ParsedReading {
                        line,
                        node: node_id.to_owned(),
                        metric,
                        ts,
                        value,
                        quality,
                    })
                })();
                match parsed {
                    Ok(r) => batch.readings.push(r),
                    Err(r) => batch.rejections.push(r),
                }
            }
            Shape::Wide { ts, node, columns } => {
                let node_id = cell(*node);
                if node_id.is_empty() {
                    batch
                        .rejections
                        .push(rejection(line, "node_id", "is empty"));
                    return;
                }
                let ts = match parse_ts(cell(*ts)) {
                    Ok(ts) => ts,
                    Err(r) => {
                        batch.rejections.push(rejection(line, "timestamp", r));
                        return;
                    }
                };
                for (i, metric) in columns {
                    let raw = cell(*i);
                    if raw.is_empty() {
                        continue; // a missing reading, not an error
                    }
                    match parse_value(*metric, raw) {
                        Ok(value) => batch.readings.push(ParsedReading {
                            line,
                            node: node_id.to_owned(),
                            metric: *metric,
                            ts,
                            value,
                            quality: 0,
                        }),
                        Err(r) => batch.rejections.push(rejection(line, metric.as_str(), r)),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Batch {
        let mut csv = ReadingsCsv::new(text.as_bytes()).unwrap();
        let mut out = Batch::default();
        while let Some(b) = csv.next_batch(2) {
            out.readings.extend(b.readings);
            out.rejections.extend(b.rejections);
        }
        out
    }

    #[test]
    fn long_shape_with_bad_rows_reported_by_line() {
        let text = "timestamp,node_id,metric,value\n\
                    2026-01-05T00:00:00Z,F01,flow_rate,830.95\n\
                    2026-01-05T00:00:00Z,F01,volume,368540.9\n\
                    not-a-time,F01,flow_rate,1\n\
                    2026-01-05T00:15:00Z,F01,flow,1\n\
                    2026-01-05T00:15:00Z,P01,pressure,NaN\n\
                    2026-01-05T00:15:00Z,P01,pressure,250\n\
                    2026-01-05T00:15:00+01:00,P01,pressure,3.5\n";
        let b = all(text);
        assert_eq!(b.readings.len(), 3);
        assert_eq!(b.readings[0].metric, Metric::FlowRate);
        assert_eq!(b.readings[2].ts.to_rfc3339(), "2026-01-04T23:15:00+00:00");
        let lines: Vec<(u64, &str)> = b
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            lines,
            [(4, "timestamp"), (5, "metric"), (6, "value"), (7, "value")]
        );
        assert!(
            b.rejections[3].reason.contains("physical range"),
            "{}",
            b.rejections[3].reason
        );
    }

    #[test]
    fn wide_shape_skips_empty_cells_and_maps_total_flow() {
        let text = "timestamp,node_id,flow_rate,pressure,temperature,total_flow\n\
                    2026-01-05T00:00:00Z,F01,12.5,3.2,,1000\n\
                    2026-01-05T00:15:00Z,F01,x,3.1,14.0,1003\n";
        let b = all(text);
        let got: Vec<(u64, Metric)> = b.readings.iter().map(|r| (r.line, r.metric)).collect();
        assert_eq!(
            got,
            [
                (2, Metric::FlowRate),
                (2, Metric::Pressure),
                (2, Metric::Volume),
                (3, Metric::Pressure),
                (3, Metric::Temperature),
                (3, Metric::Volume)
            ]
        );
        assert_eq!(b.rejections.len(), 1);
        assert_eq!(
            (b.rejections[0].line, b.rejections[0].field.as_str()),
            (3, "flow_rate")
        );
    }

    #[test]
    fn header_problems_are_line_one() {
        let err = ReadingsCsv::new("time,node,value\n".as_bytes())
            .err()
            .unwrap();
        assert_eq!((err.line, err.field.as_str()), (1, "header"));
        let err = ReadingsCsv::new("timestamp,node_id,colour\n".as_bytes())
            .err()
            .unwrap();
        assert!(err.reason.contains("colour"));
    }

    #[test]
    fn quality_column_is_read_when_present() {
        let b = all("timestamp,node_id,metric,value,quality\n2026-01-05T00:00:00Z,P1,ph,7.1,4\n");
        assert_eq!(b.readings[0].quality, 4);
    }
}

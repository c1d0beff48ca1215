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
    let raw = raw.trim();
    if let Some(t) = utc_seconds(raw.as_bytes()) {
        return Ok(t);
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{raw}` is not an RFC 3339 timestamp (e.g. 2026-01-05T00:15:00Z)"))
}

/// The common spelling of a time in sensor exports, `2026-01-05T00:15:00Z` (or `+00:00`),
/// read directly: a quarter of an import's parsing went to the general RFC 3339 parser.
/// Anything else, valid or not (fractions, offsets, leap seconds), is left to it.
fn utc_seconds(b: &[u8]) -> Option<DateTime<Utc>> {
    let zone_ok = match b.len() {
        20 => b[19] == b'Z',
        25 => &b[19..] == b"+00:00",
        _ => false,
    };
    if !zone_ok || (b[4], b[7], b[10], b[13], b[16]) != (b'-', b'-', b'T', b':', b':') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > month_days || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    DateTime::from_timestamp(days * 86_400 + hh * 3_600 + mm * 60 + ss, 0)
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
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
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
        // Cells are trimmed here, not by the reader (which would rebuild every record).
        let cell = |i: usize| rec.get(i).unwrap_or("").trim();
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

    #[test]
    fn the_quick_timestamp_reader_agrees_with_rfc_3339() {
        let general = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc));
        // Every day of 1899-2101 (leap years, centuries, the epoch) at a few times.
        let mut day = chrono::NaiveDate::from_ymd_opt(1899, 12, 25).unwrap();
        let mut n = 0;
        while chrono::Datelike::year(&day) < 2102 {
            for time in ["00:00:00", "00:15:00", "13:07:59", "23:59:59"] {
                for zone in ["Z", "+00:00"] {
                    let text = format!("{day}T{time}{zone}");
                    let quick = utc_seconds(text.as_bytes());
                    assert_eq!(quick, Some(general(&text).unwrap()), "{text}");
                    assert_eq!(parse_ts(&text), Ok(quick.unwrap()));
                    n += 1;
                }
            }
            day = day.succ_opt().unwrap();
        }
        assert!(n > 590_000, "{n}");
        // What it leaves to the general parser: other zones, fractions, impossible dates.
        for text in [
            "2026-02-29T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:60Z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00+01:00",
            "2026-01-01T00:00:00.250Z",
            "2026-0a-01T00:00:00Z",
            "+026-01-01T00:00:00Z",
        ] {
            assert_eq!(utc_seconds(text.as_bytes()), None, "{text}");
            assert_eq!(parse_ts(text).ok(), general(text).ok(), "{text}");
        }
        assert_eq!(
            parse_ts(" 2026-01-01T01:00:00+01:00 ").unwrap(),
            "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(parse_ts("2024-02-30T00:00:00Z").is_err());
    }

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

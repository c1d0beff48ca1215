//! Readings as a JSON array: `[{"node_id","metric","timestamp","value","quality"?}, …]`.
//! Each item is checked on its own; a bad item is reported by its 1-based position.

use super::readings_csv::{parse_ts, parse_value, ParsedReading};
use shared::ingest::RowRejection;
use shared::Metric;

fn text<'a>(item: &'a serde_json::Value, field: &str) -> Result<&'a str, String> {
    match item.get(field) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(serde_json::Value::String(_)) => Err("is empty".into()),
        Some(_) => Err("must be a string".into()),
        None => Err("is missing".into()),
    }
}

fn item(pos: u64, item: &serde_json::Value) -> Result<ParsedReading, RowRejection> {
    let fail = |field: &str, reason: String| RowRejection {
        line: pos,
        field: field.into(),
        reason,
    };
    if !item.is_object() {
        return Err(fail("item", "must be an object".into()));
    }
    let node = text(item, "node_id").map_err(|r| fail("node_id", r))?;
    let metric: Metric = text(item, "metric")
        .map_err(|r| fail("metric", r))?
        .parse()
        .map_err(|e: shared::metric::UnknownMetric| fail("metric", e.to_string()))?;
    let ts = parse_ts(text(item, "timestamp").map_err(|r| fail("timestamp", r))?)
        .map_err(|r| fail("timestamp", r))?;
    let value = match item.get("value") {
        Some(serde_json::Value::Number(n)) => n
            .as_f64()
            .ok_or_else(|| fail("value", "is not a number".into()))
            .and_then(|v| parse_value(metric, &v.to_string()).map_err(|r| fail("value", r)))?,
        Some(serde_json::Value::String(s)) => {
            parse_value(metric, s).map_err(|r| fail("value", r))?
        }
        Some(_) => return Err(fail("value", "must be a number".into())),
        None => return Err(fail("value", "is missing".into())),
    };
    let quality = match item.get("quality") {
        None | Some(serde_json::Value::Null) => 0,
        Some(q) => q
            .as_i64()
            .and_then(|q| i32::try_from(q).ok())
            .ok_or_else(|| fail("quality", "must be an integer".into()))?,
    };
    Ok(ParsedReading {
        line: pos,
        node: node.trim().to_owned(),
        metric,
        ts,
        value,
        quality,
    })
}

/// Splits a JSON array into valid readings and per-item rejections.
pub fn parse(items: &[serde_json::Value]) -> (Vec<ParsedReading>, Vec<RowRejection>) {
    let mut ok = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match item(i as u64 + 1, it) {
            Ok(r) => ok.push(r),
            Err(r) => bad.push(r),
        }
    }
    (ok, bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_good_items_and_names_bad_ones() {
        let items = vec![
            json!({"node_id": "P01", "metric": "pressure", "timestamp": "2026-01-05T00:00:00Z", "value": 3.2}),
            json!({"node_id": "P01", "metric": "pressure", "timestamp": "2026-01-05T00:15:00Z"}),
            json!({"node_id": "P01", "metric": "pressure", "timestamp": "yesterday", "value": 3.2}),
            json!({"node_id": "F01", "metric": "flow_rate", "timestamp": "2026-01-05T00:00:00Z", "value": "12.5", "quality": 2}),
            json!("not an object"),
        ];
        let (ok, bad) = parse(&items);
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].quality, 2);
        let got: Vec<(u64, &str)> = bad.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert_eq!(got, [(2, "value"), (3, "timestamp"), (5, "item")]);
    }
}

//! Nodes CSV: `node_id,name,kind,lat,lon,district` (optional `elevation`), creating or
//! updating nodes and the districts they name.

use shared::ingest::RowRejection;
use shared::NodeKind;
use std::io::Read;

/// One node line.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedNode {
    /// Line in the file.
    pub line: u64,
    /// The id the source uses.
    pub external_id: String,
    /// Display name (defaults to the id).
    pub name: String,
    /// Asset kind.
    pub kind: NodeKind,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Elevation, metres.
    pub elevation: Option<f64>,
    /// District name, if any.
    pub district: Option<String>,
}

fn coordinate(raw: &str, field: &str, limit: f64, line: u64) -> Result<Option<f64>, RowRejection> {
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Ok(Some(v)),
        _ => Err(RowRejection {
            line,
            field: field.into(),
            reason: format!("`{raw}` is not a valid {field} (±{limit})"),
        }),
    }
}

/// Parses the whole file (node lists are small), returning nodes and rejections.
pub fn parse<R: Read>(input: R) -> Result<(Vec<ParsedNode>, Vec<RowRejection>), RowRejection> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| RowRejection {
            line: 1,
            field: "header".into(),
            reason: format!("unreadable header: {e}"),
        })?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n);
    let Some(id_col) = col("node_id") else {
        return Err(RowRejection {
            line: 1,
            field: "header".into(),
            reason: "the header must contain `node_id` (and name, kind, lat, lon, district)".into(),
        });
    };
    let (name, kind, lat, lon, district, elevation) = (
        col("name"),
        col("kind"),
        col("lat"),
        col("lon"),
        col("district"),
        col("elevation"),
    );
    let mut nodes = Vec::new();
    let mut bad = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                bad.push(RowRejection {
                    line,
                    field: "row".into(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let cell = |c: Option<usize>| c.and_then(|i| record.get(i)).unwrap_or("");
        let parsed = (|| {
            let external_id = cell(Some(id_col));
            if external_id.is_empty() || external_id.len() > 64 {
                return Err(RowRejection {
                    line,
                    field: "node_id".into(),
                    reason: "must be 1 to 64 characters".into(),
                });
            }
            let kind: NodeKind =
                cell(kind)
                    .parse()
                    .map_err(|e: shared::node::UnknownNodeKind| RowRejection {
                        line,
                        field: "kind".into(),
                        reason: format!(
                            "{e}; expected pressure, flow, meter, tank, pump or quality"
                        ),
                    })?;
            Ok(ParsedNode {
                line,
                external_id: external_id.to_owned(),
                name: Some(cell(name))
                    .filter(|n| !n.is_empty())
                    .unwrap_or(external_id)
                    .to_owned(),
                kind,
                lat: coordinate(cell(lat), "lat", 90.0, line)?,
                lon: coordinate(cell(lon), "lon", 180.0, line)?,
                elevation: coordinate(cell(elevation), "elevation", 10_000.0, line)?,
                district: Some(cell(district))
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned),
            })
        })();
        match parsed {
            Ok(n) => nodes.push(n),
            Err(r) => bad.push(r),
        }
    }
    Ok((nodes, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_bench_shape_and_reports_bad_lines() {
        let text = "node_id,name,kind,lat,lon,district\n\
                    P01,Pressure logger J-131,pressure,39.295138,9.181091,DMA-N\n\
                    F01,Flow meter,flow,39.29,9.18,\n\
                    X1,Valve,valve,1,1,DMA-N\n\
                    X2,Bad,pressure,95,1,DMA-N\n";
        let (nodes, bad) = parse(text.as_bytes()).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0].district.as_deref(), Some("DMA-N"));
        assert_eq!(nodes[1].district, None);
        let got: Vec<(u64, &str)> = bad.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert_eq!(got, [(4, "kind"), (5, "lat")]);
    }
}

//! The overview's district charts: each district's mean pressure, non-revenue water and
//! minimum night flow day by day (from the efficiency job's daily rows), the whole network's
//! dashed where the figure has one.

use super::{point, time_chart, wall_ms, with_utc_labels};
use charming::component::{Axis, Grid, Legend, Title};
use charming::element::{AxisType, LineStyle, LineStyleType};
use charming::series::Line;
use chrono_tz::Tz;
use shared::overview::{DistrictDay, NetworkOverview};
use std::collections::BTreeMap;

/// The legend entry of the whole network's line.
pub const NETWORK: &str = "Whole network";

/// The three charts' options (JSON).
pub struct DistrictOptions {
    pub pressure: String,
    pub nrw: String,
    pub mnf: String,
}

/// One chart: a line per district (and the network's, dashed) of `value` over the days; with
/// no figure at all, the chart says so and what the figure needs (`needs`).
fn per_district(
    o: &NetworkOverview,
    tz: Tz,
    (png, axis, needs): (&str, &str, &str),
    value: fn(&DistrictDay) -> Option<f64>,
) -> String {
    let mut lines: BTreeMap<Option<&str>, Vec<_>> = BTreeMap::new();
    for d in &o.days {
        if let Some(v) = value(d) {
            lines
                .entry(d.district.as_deref())
                .or_default()
                .push(point(wall_ms(tz, d.day), v));
        }
    }
    // The network first in the legend, then the districts by name.
    let names: Vec<String> = lines
        .keys()
        .map(|k| k.map_or_else(|| NETWORK.to_owned(), str::to_owned))
        .collect();
    let mut chart = time_chart(tz, png)
        .legend(Legend::new().top(0).data(names))
        .grid(Grid::new().left(64).right(24).top(56).bottom(72))
        .y_axis(
            Axis::new()
                .type_(AxisType::Value)
                .scale(true)
                .name(axis.to_owned()),
        );
    if lines.is_empty() {
        chart = chart.title(
            Title::new()
                .text("No figures in this period")
                .subtext(needs)
                .left("center")
                .top("middle"),
        );
    }
    for (district, data) in lines {
        let few = data.len() < 3;
        let line = Line::new()
            .name(district.unwrap_or(NETWORK))
            .show_symbol(few)
            .data(data);
        chart = chart.series(match district {
            None => line.line_style(LineStyle::new().width(2).type_(LineStyleType::Dashed)),
            Some(_) => line.line_style(LineStyle::new().width(1.5)),
        });
    }
    with_utc_labels(&chart)
}

/// Each chart's PNG name, axis, and what its figure needs from the network's sensors.
const PRESSURE: (&str, &str, &str) = (
    "district-pressure",
    "Mean pressure (bar)",
    "Needs pressure loggers assigned to a district.",
);
const NRW: (&str, &str, &str) = (
    "district-nrw",
    "Non-revenue water (%)",
    "Needs inlet flow meters and customer meters (nodes of kind meter).",
);
const MNF: (&str, &str, &str) = (
    "district-mnf",
    "Minimum night flow (L/s)",
    "Needs flow meters at a district's inlets, read between 02:00 and 04:00.",
);

/// The pressure, NRW and MNF charts of `o`.
pub fn district_options(o: &NetworkOverview) -> DistrictOptions {
    let tz: Tz = o.time_zone.parse().unwrap_or(chrono_tz::UTC);
    DistrictOptions {
        pressure: per_district(o, tz, PRESSURE, |d| d.avg_pressure_bar),
        nrw: per_district(o, tz, NRW, |d| d.nrw_pct),
        mnf: per_district(o, tz, MNF, |d| d.mnf_lps),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, Utc};
    use shared::overview::SystemHealth;

    fn day(district: Option<&str>, i: i64, nrw: Option<f64>) -> DistrictDay {
        DistrictDay {
            district: district.map(str::to_owned),
            day: "2026-11-20T23:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(i),
            avg_pressure_bar: Some(3.0 + i as f64),
            nrw_pct: nrw,
            mnf_lps: None,
            ili: None,
        }
    }

    #[test]
    fn one_line_per_district_and_the_network_dashed() {
        let o = NetworkOverview {
            generated_at: Utc::now(),
            from: Utc::now(),
            to: Utc::now(),
            time_zone: "Europe/Rome".into(),
            stale_after_secs: 3600,
            nodes: vec![],
            districts: vec![],
            days: vec![
                day(None, 0, Some(20.0)),
                day(Some("DMA-N"), 0, Some(25.0)),
                day(Some("DMA-N"), 1, None),
                day(Some("DMA-S"), 0, Some(12.5)),
            ],
            health: SystemHealth {
                completeness: None,
                quality_day: None,
                sensors_online: 0,
                sensors_total: 0,
                open_incidents: 0,
                open_critical: 0,
                jobs_healthy: 0,
                jobs_total: 0,
                failing_jobs: vec![],
            },
        };
        let charts = district_options(&o);
        let nrw: serde_json::Value = serde_json::from_str(&charts.nrw).unwrap();
        let series = nrw["series"].as_array().unwrap();
        let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, [NETWORK, "DMA-N", "DMA-S"]);
        assert_eq!(series[0]["lineStyle"]["type"], "dashed");
        // DMA-N has an NRW figure on one of its two days: one point. Rome is UTC+1 in November.
        let n = series[1]["data"].as_array().unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0][1], 25.0);
        let local_midnight = "2026-11-21T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(n[0][0], local_midnight.timestamp_millis() as f64);
        let pressure: serde_json::Value = serde_json::from_str(&charts.pressure).unwrap();
        assert_eq!(pressure["series"][1]["data"].as_array().unwrap().len(), 2);
        assert_eq!(pressure["useUTC"], true);
        assert!(pressure["title"].is_null(), "figures: no empty-state title");
        // No night flow on any day: the chart says what the figure needs.
        let mnf: serde_json::Value = serde_json::from_str(&charts.mnf).unwrap();
        assert_eq!(mnf["title"][0]["text"], "No figures in this period");
        assert!(
            mnf["title"][0]["subtext"]
                .as_str()
                .unwrap()
                .contains("flow meters at a district's inlets"),
            "{mnf}"
        );
    }
}

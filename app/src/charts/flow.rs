//! The dashboard's flow analytics chart: the network's inflow through the period with the
//! previous period laid over it (shifted by one period, so the same hour of the same weekday
//! lines up), and mean pressure on a second axis.

use super::{point, time_chart, wall_ms, with_utc_labels};
use charming::component::{Axis, Grid, Legend};
use charming::element::{AreaStyle, AxisType, LineStyle, LineStyleType};
use charming::series::Line;
use chrono_tz::Tz;
use shared::period::PeriodSummary;
use shared::Metric;

/// Series names, also the legend's entries.
pub const INFLOW: &str = "Inflow";
pub const PREVIOUS: &str = "Inflow, previous period";
pub const PRESSURE: &str = "Mean pressure";

/// The option of the flow analytics chart for `s`.
pub fn flow_option(s: &PeriodSummary) -> String {
    let tz: Tz = s.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let shift = s.from - s.previous_from;
    let flow_axis = format!("{} ({})", Metric::FlowRate.label(), Metric::FlowRate.unit());
    let pressure_axis = format!("{} ({})", Metric::Pressure.label(), Metric::Pressure.unit());
    // A line needs two points: with fewer, mark the points themselves.
    let sparse = |n: usize| n < 3;
    let chart = time_chart(tz, "network-flow")
        .legend(Legend::new().top(0).data(vec![INFLOW, PREVIOUS, PRESSURE]))
        .grid(Grid::new().left(64).right(64).top(64).bottom(72))
        .y_axis(
            Axis::new()
                .type_(AxisType::Value)
                .scale(true)
                .name(flow_axis),
        )
        .y_axis(
            Axis::new()
                .type_(AxisType::Value)
                .scale(true)
                .position("right")
                .name(pressure_axis),
        )
        .series(
            Line::new()
                .name(INFLOW)
                .show_symbol(sparse(s.inflow.len()))
                .line_style(LineStyle::new().width(1.5))
                .area_style(AreaStyle::new().opacity(0.12))
                .data(
                    s.inflow
                        .iter()
                        .map(|p| point(wall_ms(tz, p.ts), p.value))
                        .collect(),
                ),
        )
        .series(
            Line::new()
                .name(PREVIOUS)
                .show_symbol(sparse(s.previous_inflow.len()))
                .line_style(LineStyle::new().width(1).type_(LineStyleType::Dashed))
                .data(
                    s.previous_inflow
                        .iter()
                        .map(|p| point(wall_ms(tz, p.ts + shift), p.value))
                        .collect(),
                ),
        )
        .series(
            Line::new()
                .name(PRESSURE)
                .y_axis_index(1)
                .show_symbol(sparse(s.pressure.len()))
                .line_style(LineStyle::new().width(1.5))
                .data(
                    s.pressure
                        .iter()
                        .map(|p| point(wall_ms(tz, p.ts), p.value))
                        .collect(),
                ),
        );
    with_utc_labels(&chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, Utc};
    use shared::period::{BucketValue, Trend};
    use shared::series::Resolution;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn bucket(ts: DateTime<Utc>, value: f64) -> BucketValue {
        BucketValue {
            ts,
            value,
            min: None,
            max: None,
        }
    }

    #[test]
    fn previous_period_is_laid_over_the_current_one() {
        let from = at("2026-11-20T00:00:00Z");
        let s = PeriodSummary {
            from,
            to: from + Duration::days(7),
            previous_from: from - Duration::days(7),
            generated_at: from,
            resolution: Resolution::Hourly,
            time_zone: "UTC".into(),
            nodes_reporting: Trend::default(),
            readings: Trend::default(),
            inflow_m3: Trend::default(),
            mean_pressure_bar: Trend::default(),
            nrw_pct: Trend::default(),
            incidents: Trend::default(),
            quality_score: Trend::default(),
            quality_latest: None,
            inflow: vec![bucket(from, 120.0)],
            previous_inflow: vec![bucket(from - Duration::days(7), 100.0)],
            pressure: vec![bucket(from, 3.5)],
        };
        let option: serde_json::Value = serde_json::from_str(&flow_option(&s)).unwrap();
        let series = option["series"].as_array().unwrap();
        let x = |i: usize| series[i]["data"][0][0].as_f64().unwrap();
        assert_eq!(series[0]["name"], INFLOW);
        assert_eq!(series[1]["name"], PREVIOUS);
        assert_eq!(x(0), x(1), "same position on the time axis");
        assert_eq!(series[1]["data"][0][1].as_f64(), Some(100.0));
        assert_eq!(series[2]["yAxisIndex"].as_f64(), Some(1.0));
        assert_eq!(option["yAxis"][1]["position"], "right");
        assert_eq!(option["useUTC"], true);
    }
}

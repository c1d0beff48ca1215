//! ECharts options built on the server with `charming` (server-only: the browser receives the
//! option as JSON and ECharts, served from `public/vendor`, draws it; see `public/charts.js`).
//!
//! Time axes show the tenant's wall-clock time: each instant is shifted by its zone's UTC
//! offset at that instant and the chart is told to label in UTC (`useUTC`), so the labels
//! read the same whatever the viewer's browser zone is, and DST is honoured point by point.

pub mod flow;
pub mod network_map;
pub mod overview;

use charming::component::{
    Aria, Axis, DataZoom, DataZoomType, Feature, Grid, Legend, Restore, SaveAsImage, Toolbox,
    ToolboxDataZoom,
};
use charming::datatype::{CompositeValue, DataPoint};
use charming::element::{
    AreaStyle, AxisType, ItemStyle, LineStyle, LineStyleType, MarkArea, MarkAreaData, Tooltip,
    Trigger,
};
use charming::series::Line;
use charming::Chart;
use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use shared::forecast::{DistrictForecast, DistrictHistory, Forecast, ForecastPoint};
use shared::series::{IncidentMark, Series};

/// Milliseconds of `ts` as wall-clock time in `tz`, for an axis labelled in UTC.
fn wall_ms(tz: Tz, ts: DateTime<Utc>) -> f64 {
    let offset = tz
        .offset_from_utc_datetime(&ts.naive_utc())
        .fix()
        .local_minus_utc();
    ((ts.timestamp() + i64::from(offset)) * 1000) as f64
}

/// The same instant as an ISO string (mark areas take their bounds as strings).
fn wall_iso(tz: Tz, ts: DateTime<Utc>) -> String {
    DateTime::<Utc>::from_timestamp_millis(wall_ms(tz, ts) as i64)
        .unwrap_or(ts)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A chart point; values keep 4 significant decimals (more is noise on a sensor, and makes
/// tooltips unreadable).
fn point(x: f64, y: f64) -> DataPoint {
    DataPoint::from(CompositeValue::from(vec![x, round(y)]))
}

fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// The node page's chart: history, the forecast as a shaded band with its mean, incidents as
/// marked areas; zoom and pan (mouse wheel, drag, slider), tooltips, PNG export.
pub fn node_option(
    series: &Series,
    forecast: Option<&Forecast>,
    incidents: &[IncidentMark],
) -> String {
    let tz: Tz = series.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let metric = series.metric;
    let end = series.points.last().map_or(series.to, |p| p.ts);
    let areas: Vec<(MarkAreaData, MarkAreaData)> = incidents
        .iter()
        .map(|i| {
            let from = i.started_at.max(series.from);
            let to = i.ended_at.unwrap_or(end).min(series.to).max(from);
            (
                MarkAreaData::new()
                    .name(format!("#{} {}", i.id, i.label))
                    .x_axis(wall_iso(tz, from)),
                MarkAreaData::new().x_axis(wall_iso(tz, to)),
            )
        })
        .collect();
    let mut measured = Line::new()
        .name("Measured")
        .show_symbol(false)
        .line_style(LineStyle::new().width(1.5))
        .data(
            series
                .points
                .iter()
                .map(|p| point(wall_ms(tz, p.ts), p.value))
                .collect(),
        );
    if !areas.is_empty() {
        measured = measured.mark_area(
            MarkArea::new()
                .silent(true)
                .item_style(ItemStyle::new().color("rgba(220, 38, 38, 0.14)"))
                .data(areas),
        );
    }
    let mut chart = time_chart(tz, &format!("{}-{}", series.node_id, metric.as_str()))
        // The band's two stacked series draw the shading only: not in the legend.
        .legend(Legend::new().top(0).data(vec!["Measured", "Forecast"]))
        .grid(Grid::new().left(64).right(24).top(40).bottom(72))
        .y_axis(Axis::new().type_(AxisType::Value).scale(true).name(format!(
            "{} ({})",
            metric.label(),
            metric.unit()
        )))
        .series(measured);
    if let Some(f) = forecast {
        let floor = metric.physical_range().0;
        chart = with_forecast(chart, tz, &f.points, f.level, floor);
    }
    with_utc_labels(&chart)
}

/// A district's demand on the network overview: the inlet meters' summed hourly flow, then
/// its forecast as a shaded band with its mean.
pub fn district_option(history: &DistrictHistory, forecast: Option<&DistrictForecast>) -> String {
    let tz: Tz = history.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let measured = Line::new()
        .name("Measured")
        .show_symbol(false)
        .line_style(LineStyle::new().width(1.5))
        .data(
            history
                .points
                .iter()
                .map(|p| point(wall_ms(tz, p.at), p.value))
                .collect(),
        );
    let mut chart = time_chart(tz, &format!("demand-{}", history.district))
        .legend(Legend::new().top(0).data(vec!["Measured", "Forecast"]))
        .grid(Grid::new().left(64).right(24).top(40).bottom(72))
        .y_axis(
            Axis::new()
                .type_(AxisType::Value)
                .scale(true)
                .name("Inflow (L/s)"),
        )
        .series(measured);
    if let Some(f) = forecast {
        // Demand: never below zero.
        chart = with_forecast(chart, tz, &f.points, f.level, 0.0);
    }
    with_utc_labels(&chart)
}

/// `chart` with a forecast after it: the interval at `level` as a shaded band (two stacked
/// series that draw the shading only, not in the legend; `public/charts.js` shows them in
/// the tooltip as one "95 % interval a – b" line, by their ids `band-lower` and
/// `band-width`) and the mean as a dashed line. The
/// band is cut at `floor`, the lowest value the quantity can take (a flow is never negative;
/// ECharts also stacks negative values apart from positive ones, which would tear the band).
fn with_forecast(chart: Chart, tz: Tz, p: &[ForecastPoint], level: f64, floor: f64) -> Chart {
    if p.is_empty() {
        return chart;
    }
    let lower = |i: usize| p[i].lower.max(floor);
    let xs: Vec<f64> = p.iter().map(|p| wall_ms(tz, p.at)).collect();
    let band = |y: &dyn Fn(usize) -> f64| -> Vec<DataPoint> {
        xs.iter()
            .enumerate()
            .map(|(i, x)| point(*x, y(i)))
            .collect()
    };
    chart
        .series(
            Line::new()
                .id("band-lower")
                .name("Forecast interval")
                .stack("interval")
                .show_symbol(false)
                .line_style(LineStyle::new().opacity(0))
                .data(band(&lower)),
        )
        .series(
            Line::new()
                .id("band-width")
                .name(format!("{:.0} % interval", level * 100.0))
                .stack("interval")
                .show_symbol(false)
                .line_style(LineStyle::new().opacity(0))
                .area_style(AreaStyle::new().color("rgba(37, 99, 235, 0.18)"))
                .data(band(&|i| (p[i].upper.max(floor) - lower(i)).max(0.0))),
        )
        .series(
            Line::new()
                .name("Forecast")
                .show_symbol(false)
                .line_style(LineStyle::new().type_(LineStyleType::Dashed))
                .data(band(&|i| p[i].value)),
        )
}

/// A chart over a time axis in `tz`'s wall-clock time, read by screen readers, with axis
/// tooltips, zoom and pan (mouse wheel, drag, slider), a reset, and PNG export as `png_name`.
fn time_chart(tz: Tz, png_name: &str) -> Chart {
    Chart::new()
        .animation(false)
        .aria(Aria::new().enabled(true))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .toolbox(
            Toolbox::new().right(8).feature(
                Feature::new()
                    .data_zoom(ToolboxDataZoom::new().y_axis_index("none"))
                    .restore(Restore::new())
                    .save_as_image(SaveAsImage::new().name(png_name)),
            ),
        )
        .data_zoom(DataZoom::new().type_(DataZoomType::Inside))
        .data_zoom(DataZoom::new().type_(DataZoomType::Slider).bottom(16))
        .x_axis(
            Axis::new()
                .type_(AxisType::Time)
                .name(format!("Time ({tz})")),
        )
}

/// The option as JSON, with what `charming` does not model: `useUTC` switched on, and the
/// forecast band's two series stacked as they are whatever their signs (ECharts stacks
/// negative values apart from positive ones by default, which would tear the band where its
/// lower bound dips below zero).
fn with_utc_labels(chart: &Chart) -> String {
    let mut value = serde_json::to_value(chart).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("useUTC".into(), serde_json::Value::Bool(true));
        if let Some(serde_json::Value::Array(series)) = object.get_mut("series") {
            for s in series.iter_mut().filter_map(|s| s.as_object_mut()) {
                if s.get("stack").and_then(|v| v.as_str()) == Some("interval") {
                    s.insert("stackStrategy".into(), "all".into());
                }
            }
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::series::{Resolution, SeriesPoint, SeriesStats};
    use shared::Metric;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn series(zone: &str) -> Series {
        let points = (0..3)
            .map(|i| SeriesPoint {
                ts: at("2026-07-01T10:00:00Z") + chrono::Duration::hours(i),
                value: 3.0 + i as f64,
                min: None,
                max: None,
            })
            .collect();
        Series {
            node_id: 7,
            metric: Metric::Pressure,
            unit: "bar".into(),
            resolution: Resolution::Raw,
            from: at("2026-07-01T00:00:00Z"),
            to: at("2026-07-02T00:00:00Z"),
            source_points: 3,
            points,
            stats: SeriesStats {
                count: 3,
                min: Some(3.0),
                max: Some(5.0),
                mean: Some(4.0),
            },
            time_zone: zone.into(),
        }
    }

    #[test]
    fn times_are_wall_clock_in_the_tenant_zone_and_units_label_the_axis() {
        let json: serde_json::Value =
            serde_json::from_str(&node_option(&series("Europe/Rome"), None, &[])).unwrap();
        assert_eq!(json["useUTC"], true);
        // 10:00 UTC is 12:00 in Rome in July (CEST, +2).
        let first = &json["series"][0]["data"][0];
        assert_eq!(
            first[0].as_f64().unwrap() as i64,
            at("2026-07-01T12:00:00Z").timestamp_millis()
        );
        assert_eq!(first[1].as_f64().unwrap(), 3.0);
        assert_eq!(
            json["yAxis"][0]["name"]
                .as_str()
                .or(json["yAxis"]["name"].as_str()),
            Some("Pressure (bar)")
        );
        assert!(json["toolbox"]["feature"]["saveAsImage"].is_object());
    }

    #[test]
    fn the_forecast_is_a_band_and_incidents_are_marked_areas() {
        let s = series("UTC");
        let forecast = Forecast {
            node_id: 7,
            metric: Metric::Pressure,
            method: "test".into(),
            level: 0.95,
            generated_at: at("2026-07-01T13:00:00Z"),
            history_hours: 100,
            points: vec![shared::forecast::ForecastPoint {
                at: at("2026-07-01T13:00:00Z"),
                value: 4.0,
                lower: 3.5,
                upper: 4.75,
            }],
        };
        let incident = IncidentMark {
            id: 12,
            label: "Leak".into(),
            started_at: at("2026-07-01T10:30:00Z"),
            ended_at: None,
        };
        let json: serde_json::Value =
            serde_json::from_str(&node_option(&s, Some(&forecast), &[incident])).unwrap();
        let series = json["series"].as_array().unwrap();
        assert_eq!(series.len(), 4);
        assert_eq!(series[1]["data"][0][1].as_f64(), Some(3.5));
        assert_eq!(series[2]["data"][0][1].as_f64(), Some(1.25));
        assert_eq!(series[1]["stack"], series[2]["stack"]);
        assert_eq!(series[1]["stackStrategy"], "all");
        assert_eq!(series[2]["stackStrategy"], "all");
        let area = &series[0]["markArea"]["data"][0];
        assert_eq!(area[0]["xAxis"], "2026-07-01T10:30:00Z");
        // Still open: the area runs to the last reading.
        assert_eq!(area[1]["xAxis"], "2026-07-01T12:00:00Z");
        assert_eq!(area[0]["name"], "#12 Leak");
    }

    #[test]
    fn a_districts_demand_is_drawn_then_its_forecast_band() {
        let history = DistrictHistory {
            district_id: 3,
            district: "North".into(),
            time_zone: "Europe/Rome".into(),
            points: vec![shared::forecast::DemandHour {
                at: at("2026-01-10T09:00:00Z"),
                value: 21.5,
            }],
        };
        let forecast = DistrictForecast {
            district_id: 3,
            district: "North".into(),
            inlet_node_ids: vec![1, 2],
            method: "test".into(),
            level: 0.9,
            generated_at: at("2026-01-10T10:00:00Z"),
            history_hours: 100,
            points: vec![
                ForecastPoint {
                    at: at("2026-01-10T10:00:00Z"),
                    value: 22.0,
                    lower: 20.0,
                    upper: 25.0,
                },
                // A night hour whose interval dips below zero: the band stops at zero.
                ForecastPoint {
                    at: at("2026-01-10T11:00:00Z"),
                    value: 1.5,
                    lower: -4.0,
                    upper: 8.0,
                },
            ],
        };
        let json: serde_json::Value =
            serde_json::from_str(&district_option(&history, Some(&forecast))).unwrap();
        let series = json["series"].as_array().unwrap();
        assert_eq!(series.len(), 4);
        // 09:00 UTC is 10:00 in Rome in January (CET, +1).
        assert_eq!(
            series[0]["data"][0][0].as_f64().unwrap() as i64,
            at("2026-01-10T10:00:00Z").timestamp_millis()
        );
        assert_eq!(series[0]["data"][0][1].as_f64(), Some(21.5));
        assert_eq!(series[1]["data"][0][1].as_f64(), Some(20.0));
        assert_eq!(series[2]["data"][0][1].as_f64(), Some(5.0));
        assert_eq!(series[2]["name"], "90 % interval");
        assert_eq!(
            (&series[1]["id"], &series[2]["id"]),
            (&"band-lower".into(), &"band-width".into())
        );
        assert_eq!(series[3]["data"][0][1].as_f64(), Some(22.0));
        assert_eq!(series[1]["data"][1][1].as_f64(), Some(0.0));
        assert_eq!(series[2]["data"][1][1].as_f64(), Some(8.0));
        // Without a forecast, the measured demand alone.
        let json: serde_json::Value =
            serde_json::from_str(&district_option(&history, None)).unwrap();
        assert_eq!(json["series"].as_array().unwrap().len(), 1);
    }
}

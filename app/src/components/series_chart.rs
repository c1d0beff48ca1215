//! A time-series chart drawn as SVG on the server (first paint with real data, no script
//! needed, works offline): the history as a line, the forecast as a dashed line inside its
//! shaded prediction interval, a "now" rule between them, and labelled axes with the unit.
// Drawn on the server only (see `SeriesFallback`); the browser build never calls `draw`.
#![cfg_attr(not(feature = "ssr"), allow(dead_code))]

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::forecast::ForecastPoint;
use shared::series::SeriesPoint;
use shared::Metric;

/// Drawing area inside the SVG's view box.
const W: f64 = 960.0;
const H: f64 = 320.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;

/// Where the data of a chart falls on the view box.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    t0: i64,
    t1: i64,
    y0: f64,
    y1: f64,
}

impl Scale {
    /// Fits the time span of both series and every value (forecast bounds included), with
    /// 5 % head room above and below; `None` without any point.
    pub fn fit(history: &[SeriesPoint], forecast: &[ForecastPoint]) -> Option<Self> {
        let times = history
            .iter()
            .map(|p| p.ts)
            .chain(forecast.iter().map(|p| p.at));
        let (t0, t1) = times.fold(None, |acc: Option<(i64, i64)>, t| {
            let t = t.timestamp();
            Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
        })?;
        let values = history
            .iter()
            .map(|p| p.value)
            .chain(forecast.iter().flat_map(|p| [p.lower, p.upper, p.value]))
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        if !lo.is_finite() {
            return None;
        }
        let pad = ((hi - lo) * 0.05).max(1e-6);
        Some(Self {
            t0,
            t1: t1.max(t0 + 1),
            y0: lo - pad,
            y1: hi + pad,
        })
    }

    /// X of a time, in view-box units.
    pub fn x(&self, t: DateTime<Utc>) -> f64 {
        let f = (t.timestamp() - self.t0) as f64 / (self.t1 - self.t0) as f64;
        LEFT + f * (W - LEFT - RIGHT)
    }

    /// Y of a value, in view-box units (up is larger).
    pub fn y(&self, v: f64) -> f64 {
        let f = (v - self.y0) / (self.y1 - self.y0);
        H - BOTTOM - f * (H - TOP - BOTTOM)
    }

    /// Five evenly spaced values across the value range, for the y axis.
    pub fn y_ticks(&self) -> Vec<f64> {
        (0..5)
            .map(|i| self.y0 + (self.y1 - self.y0) * i as f64 / 4.0)
            .collect()
    }

    /// Six evenly spaced times across the span, for the x axis.
    pub fn t_ticks(&self) -> Vec<DateTime<Utc>> {
        (0..6)
            .filter_map(|i| DateTime::from_timestamp(self.t0 + (self.t1 - self.t0) * i / 5, 0))
            .collect()
    }
}

fn points(xy: impl Iterator<Item = (f64, f64)>) -> String {
    xy.map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The chart for the server-rendered page, under an interactive ECharts chart: the SVG of
/// [`draw`], drawn on the server and inserted as markup. Hydration keeps the server's
/// markup as it is, and when the page is built in the browser (a later navigation) ECharts
/// draws at once, so the browser never needs the SVG code: the wasm bundle carries none of
/// it. A chart without any point says so on both sides.
#[component]
pub fn SeriesFallback(
    metric: Metric,
    history: Vec<SeriesPoint>,
    forecast: Vec<ForecastPoint>,
    /// Where history ends and the forecast begins.
    now: DateTime<Utc>,
    /// Spoken description of the chart.
    label: String,
) -> impl IntoView {
    if history.is_empty() && forecast.is_empty() {
        return empty().into_any();
    }
    #[cfg(feature = "ssr")]
    let svg = draw(metric, history, forecast, now, label).to_html();
    #[cfg(not(feature = "ssr"))]
    let svg = {
        let _ = (metric, history, forecast, now, label);
        String::new()
    };
    view! { <div class="chart-svg" inner_html=svg></div> }.into_any()
}

fn empty() -> impl IntoView {
    view! {
        <p class="empty" data-testid="chart-empty">
            "No readings of this metric in the range. Choose a longer range or another metric."
        </p>
    }
}

/// The SVG: the history of `metric` and, when given, its forecast with the prediction
/// interval (the arguments are [`SeriesFallback`]'s).
fn draw(
    metric: Metric,
    history: Vec<SeriesPoint>,
    forecast: Vec<ForecastPoint>,
    now: DateTime<Utc>,
    label: String,
) -> AnyView {
    let Some(scale) = Scale::fit(&history, &forecast) else {
        return empty().into_any();
    };
    let line = points(history.iter().map(|p| (scale.x(p.ts), scale.y(p.value))));
    let band = points(
        forecast
            .iter()
            .map(|p| (scale.x(p.at), scale.y(p.upper)))
            .chain(
                forecast
                    .iter()
                    .rev()
                    .map(|p| (scale.x(p.at), scale.y(p.lower))),
            ),
    );
    let mean = points(forecast.iter().map(|p| (scale.x(p.at), scale.y(p.value))));
    let span_days = (scale.t1 - scale.t0) as f64 / 86_400.0;
    let time_label = move |t: DateTime<Utc>| {
        if span_days > 3.0 {
            shared::clock::day_month(t)
        } else {
            shared::clock::day_month_minute(t)
        }
    };
    let now_x = scale.x(now);
    let (n_history, n_forecast) = (history.len(), forecast.len());
    let aria = label.clone();
    view! {
        <figure class="chart" data-testid="node-chart" data-history-points=n_history data-forecast-points=n_forecast>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=aria preserveAspectRatio="xMidYMid meet">
                <title>{label}</title>
                <g class="chart-grid">
                    {scale
                        .y_ticks()
                        .into_iter()
                        .map(|v| {
                            let y = scale.y(v);
                            view! {
                                <line x1=LEFT x2=W - RIGHT y1=y y2=y />
                                <text class="chart-tick" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{metric.format(v)}</text>
                            }
                        })
                        .collect_view()}
                    {
                        let ticks = scale.t_ticks();
                        let last = ticks.len().saturating_sub(1);
                        ticks
                            .into_iter()
                            .enumerate()
                            .map(|(i, t)| {
                                let x = scale.x(t);
                                // The outermost labels stay inside the picture.
                                let anchor = match i {
                                    0 => "start",
                                    i if i == last => "end",
                                    _ => "middle",
                                };
                                view! {
                                    <text class="chart-tick" x=x y=H - BOTTOM + 20.0 text-anchor=anchor>{time_label(t)}</text>
                                }
                            })
                            .collect_view()
                    }
                </g>
                {(!forecast.is_empty())
                    .then(|| {
                        view! {
                            <polygon class="chart-band" data-testid="forecast-band" points=band />
                            <polyline class="chart-forecast" points=mean />
                        }
                    })}
                <line class="chart-now" x1=now_x x2=now_x y1=TOP y2=H - BOTTOM />
                <polyline class="chart-history" data-testid="history-line" points=line />
            </svg>
            <figcaption class="chart-legend">
                <span class="legend-history">"History (" {metric.unit()} ", UTC)"</span>
                {(!forecast.is_empty())
                    .then(|| view! { <span class="legend-forecast">"Forecast with 95 % interval"</span> })}
            </figcaption>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_323_200 + h * 3_600, 0).unwrap()
    }

    #[test]
    fn the_scale_covers_history_and_forecast_bounds() {
        let history: Vec<SeriesPoint> = (0..24)
            .map(|h| SeriesPoint {
                ts: at(h),
                value: 10.0 + h as f64,
                min: None,
                max: None,
            })
            .collect();
        let forecast = vec![ForecastPoint {
            at: at(30),
            value: 40.0,
            lower: 35.0,
            upper: 50.0,
        }];
        let s = Scale::fit(&history, &forecast).unwrap();
        // Time: first history point at the left edge, last forecast point at the right.
        assert_eq!(s.x(at(0)), LEFT);
        assert_eq!(s.x(at(30)), W - RIGHT);
        // Values: 10 (lowest reading) to 50 (highest upper bound), 2 units of head room.
        assert!((s.y0 - 8.0).abs() < 1e-9 && (s.y1 - 52.0).abs() < 1e-9);
        assert!(s.y(50.0) < s.y(10.0), "larger values are drawn higher");
        assert_eq!(s.y(s.y0), H - BOTTOM);
        assert_eq!(s.y_ticks().len(), 5);
        assert_eq!(s.t_ticks().first(), Some(&at(0)));
        assert_eq!(s.t_ticks().last(), Some(&at(30)));
        assert_eq!(Scale::fit(&[], &[]), None);
    }

    #[test]
    fn the_server_inserts_the_drawn_svg_and_an_empty_chart_says_so() {
        let owner = Owner::new();
        owner.set();
        let history: Vec<SeriesPoint> = (0..3)
            .map(|h| SeriesPoint {
                ts: at(h),
                value: 2.0 + h as f64,
                min: None,
                max: None,
            })
            .collect();
        let drawn = view! {
            <SeriesFallback metric=Metric::Pressure history forecast=Vec::new() now=at(2) label="P".into() />
        }
        .to_html();
        assert!(
            drawn.starts_with(r#"<div class="chart-svg"><figure"#),
            "{drawn}"
        );
        assert!(drawn.contains(r#"class="chart-history""#), "{drawn}");
        assert!(drawn.contains(r#"data-history-points="3""#), "{drawn}");
        let empty = view! {
            <SeriesFallback metric=Metric::Pressure history=Vec::new() forecast=Vec::new() now=at(0) label="P".into() />
        }
        .to_html();
        assert!(empty.contains(r#"data-testid="chart-empty""#), "{empty}");
        assert!(!empty.contains("<svg"), "{empty}");
    }
}

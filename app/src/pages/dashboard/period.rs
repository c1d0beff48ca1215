//! The dashboard's period: the range picker (kept in the URL: `?range=7d`, or
//! `?from=…&to=…` for a custom period of whole hours, `YYYY-MM-DDTHH:00`, or of whole days,
//! `YYYY-MM-DD`), the KPI ribbon with each figure's trend against the period before, and the
//! flow analytics chart.

use crate::components::echart::EChart;
use crate::components::error_box::ErrorBox;
use crate::components::series_chart::SeriesFallback;
use crate::components::when;
use crate::server_fns::dashboard::get_period;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::period::{
    DailyScore, PeriodEnd, PeriodQuery, PeriodSummary, PeriodView, RangePreset, Trend,
};
use shared::series::SeriesPoint;
use shared::{AppError, Metric};

fn preset_label(p: RangePreset) -> &'static str {
    match p {
        RangePreset::Day => "24 hours",
        RangePreset::Week => "7 days",
        RangePreset::Month => "30 days",
        RangePreset::Year => "1 year",
    }
}

/// The URL's period, checked (a malformed one is the user's to fix, with the field named).
pub(crate) fn period_query(
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<PeriodQuery, AppError> {
    let range = match range.filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => Some(
            RangePreset::parse(&r)
                .ok_or_else(|| AppError::validation("range", "one of 24h, 7d, 30d, 1y"))?,
        ),
    };
    let end = |field: &str, v: Option<String>| -> Result<_, AppError> {
        match v.filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<PeriodEnd>()
                .map(Some)
                .map_err(|why| AppError::validation(field, why)),
        }
    };
    let q = PeriodQuery {
        range,
        from: end("from", from)?,
        to: end("to", to)?,
    };
    q.custom()?;
    Ok(q)
}

/// The period in the current URL (`range`, or `from` and `to`), checked; a resource's source,
/// so the resource refetches when the URL changes.
pub(crate) fn url_period() -> impl Fn() -> Result<PeriodQuery, AppError> + Clone + Send + Sync {
    let query = use_query_map();
    move || {
        let q = query.read();
        period_query(q.get("range"), q.get("from"), q.get("to"))
    }
}

/// Range picker, KPI ribbon and flow chart for the period in the URL.
#[component]
pub fn PeriodSection() -> impl IntoView {
    let data = crate::resource::resource(url_period(), |q| async move {
        let q = q?;
        get_period(q.range, q.from, q.to).await
    });
    view! {
        <section class="card period" aria-label="Period">
            <RangePicker />
            <Transition fallback=|| view! { <p class="loading">"Loading the period…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <PeriodFigures view /> }.into_any(),
                        Err(error) => view! { <ErrorBox error retry=move |_| data.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The period presets and the custom period form (whole hours, local time of the tenant),
/// linking to `base` with the period in its query.
#[component]
pub(crate) fn RangePicker(#[prop(default = "/")] base: &'static str) -> impl IntoView {
    let query = use_query_map();
    let custom = move || query.read().get("from").is_some();
    // The URL's end as the field shows it: a day as its first (or, closing, the next) midnight.
    let bound = move |name: &str, at: fn(PeriodEnd) -> chrono::NaiveDateTime| {
        let v = query.read().get(name)?;
        let end = v.parse::<PeriodEnd>().ok()?;
        Some(PeriodEnd::Hour(at(end)).to_string())
    };
    let current = move || {
        let q = query.read();
        match q.get("range") {
            Some(r) => RangePreset::parse(&r),
            None if q.get("from").is_none() => Some(RangePreset::Day),
            None => None,
        }
    };
    view! {
        <div class="period-head">
            <nav class="segmented" aria-label="Period" data-testid="period-picker">
                {RangePreset::ALL
                    .into_iter()
                    .map(|p| {
                        let active = move || current() == Some(p);
                        view! {
                            <a
                                href=format!("{base}?range={}", p.as_str())
                                class:active=active
                                aria-current=move || active().then_some("page")
                            >
                                {preset_label(p)}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <form method="get" action=base class="custom-range" class:active=custom data-testid="custom-range">
                <label>
                    "From " <input type="datetime-local" step="3600" name="from" required value=move || bound("from", PeriodEnd::start) />
                </label>
                <label>
                    "until " <input type="datetime-local" step="3600" name="to" required value=move || bound("to", PeriodEnd::end) />
                </label>
                <button class="btn" type="submit">"Show"</button>
            </form>
        </div>
    }
    // Erased: its type nests in every page that shows it (the compiler's depth limit).
    .into_any()
}

/// `▲ 4.2 % vs previous period`, in words as well as by arrow and colour.
fn trend_text(t: &Trend) -> (String, &'static str) {
    match (t.current, t.previous, t.change_pct()) {
        (Some(a), Some(b), _) if a == b => ("= same as the previous period".into(), "flat"),
        (_, _, Some(pct)) if pct.abs() < 0.05 => ("= same as the previous period".into(), "flat"),
        (_, _, Some(pct)) if pct > 0.0 => (format!("▲ {pct:.1} % vs previous period"), "up"),
        (_, _, Some(pct)) => (format!("▼ {:.1} % vs previous period", -pct), "down"),
        (Some(_), Some(_), None) => ("previous period was zero".into(), "flat"),
        (Some(_), None, None) => ("no data in the previous period".into(), "flat"),
        _ => (String::new(), "flat"),
    }
}

#[component]
fn TrendKpi(
    label: &'static str,
    trend: Trend,
    format: fn(f64) -> String,
    testid: &'static str,
    empty: &'static str,
    /// Shown, with its caption, when the period has no figure of its own yet.
    #[prop(optional_no_strip)]
    latest: Option<(f64, String)>,
) -> impl IntoView {
    let (text, direction) = trend_text(&trend);
    let previous = trend.previous.map(format).unwrap_or_else(|| "—".into());
    let (value, caption) = match (trend.current, latest) {
        (Some(v), _) => (format(v), text),
        (None, Some((v, caption))) => (format(v), caption),
        (None, None) => ("—".into(), empty.to_owned()),
    };
    view! {
        <div class="kpi" data-testid=testid>
            <span class="kpi-label">{label}</span>
            <span class="kpi-value" data-testid=format!("{testid}-value")>
                {value}
            </span>
            <span class=format!("kpi-trend {direction}") title=format!("Previous period: {previous}")>
                {caption}
            </span>
        </div>
    }
}

/// The caption of a daily report shown in place of the period's own: which day it covers.
fn latest_report(latest: Option<DailyScore>) -> Option<(f64, String)> {
    latest.map(|r| {
        (
            r.score,
            format!("latest report, {}; the next one at 06:00 UTC", r.day),
        )
    })
}

fn count(v: f64) -> String {
    format!("{v:.0}")
}

/// Whole cubic metres with thin spaces between thousands: `24 312 m³`.
fn cubic_metres(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{2009}');
        }
        grouped.push(c);
    }
    let sign = if v < -0.5 { "-" } else { "" };
    format!("{sign}{grouped} m³")
}

fn bar(v: f64) -> String {
    Metric::Pressure.format(v)
}

fn percent(v: f64) -> String {
    format!("{v:.1} %")
}

fn score(v: f64) -> String {
    format!("{v:.0} / 100")
}

#[component]
fn PeriodFigures(view: PeriodView) -> impl IntoView {
    let PeriodView { summary, option } = view;
    let PeriodSummary {
        from,
        to,
        time_zone,
        ..
    } = summary.clone();
    let history: Vec<SeriesPoint> = summary
        .inflow
        .iter()
        .map(|b| SeriesPoint {
            ts: b.ts,
            value: b.value,
            min: b.min,
            max: b.max,
        })
        .collect();
    let last = history.last().map_or(to, |p| p.ts);
    let label = format!(
        "Network inflow and mean pressure from {} to {}, with the previous period's inflow",
        when(from),
        when(to)
    );
    view! {
        <p class="muted updated" data-testid="period-bounds">
            {format!(
                "{} to {}; each trend compares with the period of the same length before. Chart times in {time_zone}.",
                when(from),
                when(to),
            )}
        </p>
        <div class="kpis" role="group" aria-label="Key figures of the period">
            <TrendKpi label="Nodes reporting" trend=summary.nodes_reporting format=count testid="kpi-reporting" empty="no readings in the period" />
            <TrendKpi label="Inflow volume" trend=summary.inflow_m3 format=cubic_metres testid="kpi-volume" empty="no flow meter readings" />
            <TrendKpi label="Average pressure" trend=summary.mean_pressure_bar format=bar testid="kpi-avg-pressure" empty="no pressure readings" />
            <TrendKpi label="Non-revenue water" trend=summary.nrw_pct format=percent testid="kpi-nrw" empty="needs metered consumption" />
            <TrendKpi label="Incidents detected" trend=summary.incidents format=count testid="kpi-detected" empty="" />
            <TrendKpi label="Data quality score" trend=summary.quality_score format=score testid="kpi-quality" empty="no daily report yet" latest=latest_report(summary.quality_latest) />
        </div>
        <h2>"Flow analytics"</h2>
        <EChart option label=label.clone()>
            <SeriesFallback metric=Metric::FlowRate history forecast=Vec::new() now=last label />
        </EChart>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_are_grouped_by_thousands() {
        assert_eq!(cubic_metres(24_312.4), "24\u{2009}312 m³");
        assert_eq!(cubic_metres(1_234_567.0), "1\u{2009}234\u{2009}567 m³");
        assert_eq!(cubic_metres(999.0), "999 m³");
        assert_eq!(cubic_metres(-1500.0), "-1\u{2009}500 m³");
    }

    #[test]
    fn trends_are_told_in_words() {
        let t = |current, previous| trend_text(&Trend { current, previous });
        assert_eq!(
            t(Some(110.0), Some(100.0)),
            ("▲ 10.0 % vs previous period".into(), "up")
        );
        assert_eq!(
            t(Some(90.0), Some(100.0)),
            ("▼ 10.0 % vs previous period".into(), "down")
        );
        assert_eq!(t(Some(0.0), Some(0.0)).1, "flat");
        assert_eq!(t(Some(3.0), None).0, "no data in the previous period");
    }

    #[test]
    fn the_quality_card_shows_the_latest_report_while_the_period_has_none() {
        let owner = Owner::new();
        owner.set();
        let card = |current: Option<f64>, latest: Option<DailyScore>| {
            view! {
                <TrendKpi label="Data quality score" trend=Trend { current, previous: None } format=score testid="q" empty="no daily report yet" latest=latest_report(latest) />
            }
            .to_html()
        };
        let report = DailyScore {
            day: "2026-11-28".parse().unwrap(),
            score: 97.4,
        };
        let own = card(Some(91.0), Some(report));
        assert!(own.contains(">91 / 100<"), "{own}");
        assert!(!own.contains("latest report"), "{own}");
        let night = card(None, Some(report));
        assert!(night.contains(">97 / 100<"), "{night}");
        assert!(
            night.contains("latest report, 2026-11-28; the next one at 06:00 UTC"),
            "{night}"
        );
        let none = card(None, None);
        assert!(
            none.contains(">—<") && none.contains("no daily report yet"),
            "{none}"
        );
    }

    #[test]
    fn url_periods_are_checked() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            period_query(s("7d"), None, None).unwrap().range,
            Some(RangePreset::Week)
        );
        assert!(period_query(s("2w"), None, None).is_err());
        let q = period_query(None, s("2026-11-01"), s("2026-11-03")).unwrap();
        assert_eq!(q.to, "2026-11-03".parse().ok());
        assert!(period_query(None, s("2026-11-03"), s("2026-11-01")).is_err());
        assert!(period_query(None, s("yesterday"), s("2026-11-01")).is_err());
        let q = period_query(None, s("2026-11-01T22:00"), s("2026-11-02T06:00")).unwrap();
        assert_eq!(
            q.from.map(|e| e.to_string()).as_deref(),
            Some("2026-11-01T22:00")
        );
        // A quarter hour is not a whole hour: the field is named with the reason.
        match period_query(None, s("2026-11-01T22:15"), s("2026-11-02T06:00")) {
            Err(AppError::Validation { field, message }) => {
                assert_eq!(field, "from");
                assert!(message.contains("whole hour"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

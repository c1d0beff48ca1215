//! `/monitoring`: the live view — readings and job outcomes arriving as they are stored
//! (Server-Sent Events, no polling), sensors gone quiet, the last job runs, and the latest
//! data quality report.

use crate::components::error_box::ErrorBox;
use crate::server_fns::dashboard::get_summary;
use crate::server_fns::monitoring::{get_data_quality, job_status};
use chrono::{DateTime, Duration, Utc};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::anomaly::{AnomalyKind, Severity};
use shared::dashboard::DashboardSummary;
use shared::quality::DataQualityReport;
use shared::{AppError, Metric};
use std::collections::HashMap;

/// Events kept on screen.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const FEED_LENGTH: usize = 30;
/// A sensor silent for longer than this is listed as quiet.
const QUIET_MINUTES: i64 = 30;

fn clock(at: DateTime<Utc>) -> String {
    shared::clock::time_of_day(at)
}

/// One line of the live feed.
#[derive(Clone, Debug, PartialEq)]
struct FeedLine {
    at: DateTime<Utc>,
    text: String,
}

#[component]
pub fn MonitoringPage() -> impl IntoView {
    let summary = crate::resource::resource(|| (), |_| get_summary());
    let quality = crate::resource::resource(|| (), |_| get_data_quality());
    let jobs = crate::resource::resource(|| (), |_| job_status());
    let feed = RwSignal::new(Vec::<FeedLine>::new());
    let status = RwSignal::new("connecting");
    start_stream(feed, status, summary);
    view! {
        <Title text="Monitoring" />
        <div class="page-head">
            <h1>"Live monitoring"</h1>
            <span class=move || format!("live-status live-{}", status.get()) data-testid="live-status" role="status">
                {move || match status.get() {
                    "live" => "● live",
                    "reconnecting" => "○ reconnecting…",
                    _ => "○ connecting…",
                }}
            </span>
        </div>
        <div class="admin-grid">
            <section class="card" aria-labelledby="feed-title">
                <h2 id="feed-title">"Arriving now"</h2>
                // Drawn again whole at each event (at most 30 lines): cheaper in code than a
                // keyed list.
                {move || {
                    let lines = feed.get();
                    if lines.is_empty() {
                        return Either::Left(view! {
                            <p class="empty">"Waiting for new readings… they appear here as soon as they are stored."</p>
                        });
                    }
                    let items = lines
                        .into_iter()
                        .map(|line| view! { <li><time>{clock(line.at)}</time> " " {line.text}</li> })
                        .collect_view();
                    Either::Right(view! { <ul class="feed" data-testid="live-feed">{items}</ul> })
                }}
            </section>
            <section class="card" aria-labelledby="quiet-title">
                <h2 id="quiet-title">"Quiet sensors"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match summary.await {
                            Ok(s) => view! { <QuietSensors summary=s /> }.into_any(),
                            Err(error) => view! { <ErrorBox error retry=move |_| summary.refetch() /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card admin-wide" aria-labelledby="dq-title">
                <h2 id="dq-title">"Data quality"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match quality.await {
                            Ok(Some(report)) => view! { <QualityReport report /> }.into_any(),
                            Ok(None) => view! {
                                <p class="empty">"No report yet: the data quality job checks yesterday's data every day at 06:00 UTC (admins can run it now from Administration)."</p>
                            }.into_any(),
                            Err(error) => view! { <ErrorBox error retry=move |_| quality.refetch() /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card admin-wide" aria-labelledby="runs-title">
                <h2 id="runs-title">"Last job runs"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match jobs.await {
                            Ok(Some(list)) => {
                                let rows = list.into_iter().map(|j| {
                                    let last = j.runs.first().cloned();
                                    let status = last.as_ref().map_or("none".to_owned(), |r| r.status.clone());
                                    let when = last.as_ref().map_or(String::new(), |r| shared::clock::utc_minute(r.started_at));
                                    view! {
                                        <tr>
                                            <td>{j.name}</td>
                                            <td><span class=format!("status status-{status}")>{status.clone()}</span></td>
                                            <td>{when}</td>
                                        </tr>
                                    }
                                }).collect_view();
                                view! {
                                    <div class="table-wrap"><table data-testid="job-status">
                                        <thead><tr><th>"Job"</th><th>"Last run"</th><th>"Started"</th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table></div>
                                }.into_any()
                            }
                            Ok(None) => view! {
                                <p class="muted">"Job runs are shown to the tenant's admins."</p>
                            }.into_any(),
                            Err(error) => view! { <ErrorBox error retry=move |_| jobs.refetch() /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
fn QuietSensors(summary: DashboardSummary) -> impl IntoView {
    // Measured against when the server answered, so server and browser render the same list.
    let limit = summary.generated_at - Duration::minutes(QUIET_MINUTES);
    let quiet: Vec<(String, String)> = summary
        .nodes
        .iter()
        .filter_map(|n| match n.last_seen {
            Some(at) if at >= limit => None,
            Some(at) => Some((
                n.name.clone(),
                format!("last reading {}", shared::clock::utc_minute(at)),
            )),
            None => Some((n.name.clone(), "no reading yet".to_owned())),
        })
        .collect();
    if quiet.is_empty() {
        return view! {
            <p data-testid="quiet-none">"Every sensor reported in the last " {QUIET_MINUTES} " minutes."</p>
        }
        .into_any();
    }
    let items = quiet
        .into_iter()
        .map(|(name, when)| view! { <li><strong>{name}</strong> " — " {when}</li> })
        .collect_view();
    view! { <ul data-testid="quiet-list">{items}</ul> }.into_any()
}

#[component]
fn QualityReport(report: DataQualityReport) -> impl IntoView {
    let rows = report
        .worst
        .iter()
        .take(10)
        .map(|s| {
            let issues = [
                s.stale.then_some("silent"),
                s.flatline.then_some("stuck value"),
                (s.gap_count > 0).then_some("gaps"),
                (s.out_of_range > 0).then_some("out of range"),
                (s.future > 0).then_some("future timestamps"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            view! {
                <tr>
                    <td>{s.node_name.clone()}</td>
                    <td>{s.metric.label()}</td>
                    <td>{format!("{:.0} %", 100.0 * s.completeness)} <small class="muted">{format!(" {}/{}", s.received, s.expected)}</small></td>
                    <td>{issues}</td>
                    <td>{format!("{:.0}", s.score)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p data-testid="dq-summary">
            <strong>{format!("Score {:.0}/100", report.score)}</strong>
            {format!(
                " for {} · {} series, {:.1} % of expected readings, {} silent, {} stuck, {} gaps",
                report.day, report.series, 100.0 * report.completeness, report.stale_series,
                report.flatline_series, report.gaps
            )}
        </p>
        <div class="table-wrap">
            <table>
                <thead><tr><th>"Sensor"</th><th>"Metric"</th><th>"Complete"</th><th>"Issues"</th><th>"Score"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// What the feed shows of a live event ([`LiveEvent`], as the server sends it in JSON).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum FeedEvent {
    Readings {
        count: u64,
        /// Node id, metric and value of the newest points.
        latest: Vec<(i64, Metric, f64)>,
    },
    Incident {
        kind: AnomalyKind,
        severity: Severity,
        node: Option<String>,
        district: Option<String>,
    },
    JobRun {
        job: String,
        status: String,
    },
}

/// A JSON object as the page reads it: the browser's `JSON.parse` result in the wasm (so the
/// wasm carries no JSON decoder), `serde_json`'s value in the tests.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
trait JsonObject: Sized {
    fn text(&self, key: &str) -> Option<String>;
    fn number(&self, key: &str) -> Option<f64>;
    fn items(&self, key: &str) -> Vec<Self>;
}

/// Reads the fields of a live event the feed shows; `None` for an event it does not know.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn feed_event<O: JsonObject>(event: &O) -> Option<FeedEvent> {
    Some(match event.text("type")?.as_str() {
        "readings" => FeedEvent::Readings {
            count: event.number("count")? as u64,
            latest: event
                .items("latest")
                .iter()
                .filter_map(|p| {
                    let metric = p.text("metric")?.parse().ok()?;
                    Some((p.number("node_id")? as i64, metric, p.number("value")?))
                })
                .collect(),
        },
        "incident" => FeedEvent::Incident {
            kind: AnomalyKind::parse(&event.text("kind")?)?,
            severity: Severity::parse(&event.text("severity")?)?,
            node: event.text("node"),
            district: event.text("district"),
        },
        "job_run" => FeedEvent::JobRun {
            job: event.text("job")?,
            status: event.text("status")?,
        },
        _ => return None,
    })
}

/// One line of text for a live event (used by the browser's event stream).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn describe(event: &FeedEvent, names: &HashMap<i64, String>) -> String {
    match event {
        FeedEvent::Readings { count, latest } => {
            let shown: Vec<String> = latest
                .iter()
                .take(4)
                .map(|&(node_id, metric, value)| {
                    let name = names
                        .get(&node_id)
                        .cloned()
                        .unwrap_or_else(|| format!("node {node_id}"));
                    format!("{name} {}", metric.format(value))
                })
                .collect();
            let more = latest.len().saturating_sub(4);
            format!(
                "{count} reading{} stored: {}{}",
                if *count == 1 { "" } else { "s" },
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        }
        FeedEvent::JobRun { job, status } => format!("job {job} {status}"),
        FeedEvent::Incident {
            kind,
            severity,
            node,
            district,
        } => format!(
            "{} incident ({}){}{}",
            kind.label(),
            severity.as_str(),
            node.as_ref()
                .map(|n| format!(" at {n}"))
                .unwrap_or_default(),
            district
                .as_ref()
                .map(|d| format!(" in {d}"))
                .unwrap_or_default()
        ),
    }
}

/// Node names from the summary the page loaded, for the feed's sentences.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn node_names(summary: Option<Result<DashboardSummary, AppError>>) -> HashMap<i64, String> {
    summary
        .and_then(Result::ok)
        .map(|s| s.nodes.into_iter().map(|n| (n.id, n.name)).collect())
        .unwrap_or_default()
}

#[cfg(feature = "hydrate")]
impl JsonObject for wasm_bindgen::JsValue {
    fn text(&self, key: &str) -> Option<String> {
        js_sys::Reflect::get(self, &wasm_bindgen::JsValue::from_str(key))
            .ok()?
            .as_string()
    }
    fn number(&self, key: &str) -> Option<f64> {
        js_sys::Reflect::get(self, &wasm_bindgen::JsValue::from_str(key))
            .ok()?
            .as_f64()
    }
    fn items(&self, key: &str) -> Vec<Self> {
        js_sys::Reflect::get(self, &wasm_bindgen::JsValue::from_str(key))
            .ok()
            .filter(js_sys::Array::is_array)
            .map(|list| js_sys::Array::from(&list).iter().collect())
            .unwrap_or_default()
    }
}

#[cfg(feature = "hydrate")]
fn start_stream(
    feed: RwSignal<Vec<FeedLine>>,
    status: RwSignal<&'static str>,
    summary: crate::resource::PageResource<Result<DashboardSummary, AppError>>,
) {
    use send_wrapper::SendWrapper;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    Effect::new(move |_| {
        let Ok(source) = web_sys::EventSource::new("/api/v1/events") else {
            status.set("reconnecting");
            return;
        };
        let on_event =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |msg: web_sys::MessageEvent| {
                let Some(data) = msg.data().as_string() else {
                    return;
                };
                let Some(event) = js_sys::JSON::parse(&data)
                    .ok()
                    .and_then(|value| feed_event(&value))
                else {
                    return;
                };
                // Only the feed signal (outside every Suspense boundary) changes: refetching a
                // resource here could land while its section is still hydrating.
                let line = FeedLine {
                    at: Utc::now(),
                    text: describe(&event, &node_names(summary.get_untracked())),
                };
                feed.update(|f| {
                    f.insert(0, line);
                    f.truncate(FEED_LENGTH);
                });
            });
        for name in ["readings", "job_run", "incident"] {
            let _ =
                source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
        }
        let on_open = Closure::<dyn Fn()>::new(move || status.set("live"));
        let on_error = Closure::<dyn Fn()>::new(move || status.set("reconnecting"));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let held = SendWrapper::new((source, on_event, on_open, on_error));
        on_cleanup(move || held.0.close());
    });
}

#[cfg(not(feature = "hydrate"))]
fn start_stream(
    _feed: RwSignal<Vec<FeedLine>>,
    _status: RwSignal<&'static str>,
    _summary: crate::resource::PageResource<Result<DashboardSummary, AppError>>,
) {
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::live::{LatestPoint, LiveEvent};

    impl JsonObject for serde_json::Value {
        fn text(&self, key: &str) -> Option<String> {
            self.get(key)?.as_str().map(str::to_owned)
        }
        fn number(&self, key: &str) -> Option<f64> {
            self.get(key)?.as_f64()
        }
        fn items(&self, key: &str) -> Vec<Self> {
            self.get(key)
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
        }
    }

    /// The event as the page reads it from the server's JSON.
    fn read(event: &LiveEvent) -> Option<FeedEvent> {
        feed_event(&serde_json::to_value(event).unwrap())
    }

    #[test]
    fn events_sent_by_the_server_read_as_sentences_with_node_names() {
        let names = HashMap::from([(3, "Logger Via Roma".to_owned())]);
        let at: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
        let point = |node_id, metric, value| LatestPoint {
            node_id,
            metric,
            ts: at,
            value,
        };
        let event = LiveEvent::Readings {
            count: 7,
            latest: vec![
                point(3, Metric::Pressure, 3.25),
                point(9, Metric::FlowRate, 12.5),
            ],
        };
        let read_back = read(&event).unwrap();
        assert_eq!(
            read_back,
            FeedEvent::Readings {
                count: 7,
                latest: vec![(3, Metric::Pressure, 3.25), (9, Metric::FlowRate, 12.5)]
            }
        );
        assert_eq!(
            describe(&read_back, &names),
            "7 readings stored: Logger Via Roma 3.25 bar, node 9 12.5 L/s"
        );
        let job = LiveEvent::JobRun {
            job: "data_quality".into(),
            run_id: 1,
            status: "failed".into(),
        };
        assert_eq!(
            describe(&read(&job).unwrap(), &names),
            "job data_quality failed"
        );
        let incident = LiveEvent::Incident {
            kind: AnomalyKind::Leak,
            severity: Severity::Critical,
            node: Some("P-204".into()),
            district: None,
            detected_at: at,
            explanation: "pressure fell at 3 sensors".into(),
        };
        assert_eq!(
            describe(&read(&incident).unwrap(), &names),
            format!("{} incident (critical) at P-204", AnomalyKind::Leak.label())
        );
    }

    #[test]
    fn unknown_or_incomplete_events_are_skipped() {
        let value = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(feed_event(&value(r#"{"type":"maintenance"}"#)), None);
        assert_eq!(feed_event(&value(r#"{"type":"job_run","job":"x"}"#)), None);
        assert_eq!(
            feed_event(&value(
                r#"{"type":"incident","kind":"meteor","severity":"info"}"#
            )),
            None
        );
        // A point with an unknown metric is left out, the others stay.
        let event = value(
            r#"{"type":"readings","count":2,"latest":[
                {"node_id":1,"metric":"pressure","value":2.5,"ts":"2026-03-01T00:00:00Z"},
                {"node_id":2,"metric":"salinity","value":9,"ts":"2026-03-01T00:00:00Z"}]}"#,
        );
        assert_eq!(
            feed_event(&event),
            Some(FeedEvent::Readings {
                count: 2,
                latest: vec![(1, Metric::Pressure, 2.5)]
            })
        );
    }
}

//! A local HTTP server that speaks the part of BigQuery's REST API the warehouse sync and the
//! BigQuery ML forecasts use (`jobs.query`, `jobs.getQueryResults` with page tokens, error
//! answers; a `CREATE MODEL` statement that finishes on the second poll, `ML.FORECAST`
//! answered from set rows), so the real `gcp-bigquery-client` can be tested against it. Test
//! code only.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One row of the utility's table: timestamp, node id, then flow_rate, pressure,
/// temperature and total_flow (any may be NULL).
#[derive(Debug, Clone)]
pub struct TableRow {
    pub ts: DateTime<Utc>,
    pub node: String,
    pub values: [Option<f64>; 4],
}

/// One row of an `ML.FORECAST` answer.
#[derive(Debug, Clone)]
pub struct ForecastRow {
    pub node: String,
    pub at: DateTime<Utc>,
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

#[derive(Default)]
struct Fake {
    token: String,
    rows: Vec<TableRow>,
    forecast: Vec<ForecastRow>,
    /// Statements other than the sync's pull, in the order received.
    statements: Vec<String>,
    /// job → (rendered rows, page size, polls left before it completes)
    jobs: HashMap<String, (Vec<Value>, usize, u32)>,
    /// page index → (HTTP status, how many more times to fail)
    failures: HashMap<usize, (u16, u32)>,
    /// Every call: "query since..until" or "page N", with the answer's status.
    log: Vec<String>,
}

/// The running server.
#[derive(Clone)]
pub struct FakeBigQuery {
    pub url: String,
    state: Arc<Mutex<Fake>>,
}

fn error(status: u16, message: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::from_u16(status).unwrap(),
        Json(
            json!({"error": {"code": status, "message": message, "errors": [],
                              "status": "ERROR"}}),
        ),
    )
}

/// The API's JSON form of a TIMESTAMP: float seconds.
fn seconds(ts: DateTime<Utc>) -> String {
    format!("{:E}", ts.timestamp_micros() as f64 / 1e6)
}

fn bq_time(value: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.6f UTC")
        .unwrap_or_else(|e| panic!("timestamp parameter `{value}`: {e}"))
        .and_utc()
}

impl FakeBigQuery {
    /// Starts the server on a free local port; requests must carry `Bearer {token}`.
    pub async fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(Fake {
            token: token.to_owned(),
            ..Fake::default()
        }));
        let app = Router::new()
            .route("/projects/{project}/queries", post(query))
            .route("/projects/{project}/queries/{job}", get(results))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, state }
    }

    /// Replaces the table's rows.
    pub fn set_rows(&self, rows: Vec<TableRow>) {
        self.state.lock().unwrap().rows = rows;
    }

    /// Answers page `page` (0 = the query's own answer) with `status`, `times` times.
    pub fn fail_page(&self, page: usize, status: u16, times: u32) {
        self.state
            .lock()
            .unwrap()
            .failures
            .insert(page, (status, times));
    }

    /// Sets the rows `ML.FORECAST` answers with.
    pub fn set_forecast(&self, rows: Vec<ForecastRow>) {
        self.state.lock().unwrap().forecast = rows;
    }

    /// `CREATE MODEL` and `ML.FORECAST` statements received so far.
    pub fn statements(&self) -> Vec<String> {
        self.state.lock().unwrap().statements.clone()
    }

    /// Stops injecting failures.
    pub fn heal(&self) {
        self.state.lock().unwrap().failures.clear();
    }

    /// The calls so far.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }
}

fn authorised(fake: &Fake, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", fake.token))
}

fn page(fake: &mut Fake, job: &str, index: usize, kind: &str) -> (StatusCode, Json<Value>) {
    if let Some((status, times)) = fake.failures.get_mut(&index) {
        if *times > 0 {
            *times -= 1;
            let status = *status;
            fake.log.push(format!("page {index} -> {status}"));
            return error(status, "injected failure");
        }
    }
    let (rows, size, polls) = fake.jobs[job].clone();
    if polls > 0 {
        // Still running (model training): answer incomplete, without rows.
        fake.jobs.get_mut(job).unwrap().2 -= 1;
        fake.log.push(format!("page {index} -> 200 (running)"));
        return (
            StatusCode::OK,
            Json(json!({
                "kind": kind,
                "jobReference": {"projectId": "roccavina-test", "jobId": job, "location": "EU"},
                "jobComplete": false,
            })),
        );
    }
    let slice: Vec<Value> = rows.iter().skip(index * size).take(size).cloned().collect();
    let more = (index + 1) * size < rows.len();
    fake.log
        .push(format!("page {index} -> 200 ({} rows)", slice.len()));
    let mut body = json!({
        "kind": kind,
        "jobReference": {"projectId": "roccavina-test", "jobId": job, "location": "EU"},
        "jobComplete": true,
        "totalRows": rows.len().to_string(),
        "rows": slice,
    });
    if more {
        body["pageToken"] = json!(format!("p{}", index + 1));
    }
    (StatusCode::OK, Json(body))
}

async fn query(
    State(state): State<Arc<Mutex<Fake>>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut fake = state.lock().unwrap();
    if !authorised(&fake, &headers) {
        fake.log.push("query -> 401".into());
        return error(401, "Request had invalid authentication credentials.");
    }
    let sql = body["query"].as_str().unwrap_or_default().to_owned();
    let size = body["maxResults"].as_u64().unwrap_or(100_000) as usize;
    let job = format!("job_{}", fake.jobs.len() + 1);
    if sql.starts_with("CREATE OR REPLACE MODEL") || sql.contains("ML.FORECAST(") {
        fake.statements.push(sql.clone());
        let (rows, polls) = if sql.contains("ML.FORECAST(") {
            let rows = fake.forecast.iter().map(|r| {
                json!({"f": [
                    {"v": r.node},
                    {"v": seconds(r.at)},
                    {"v": r.value.to_string()},
                    {"v": r.lower.to_string()},
                    {"v": r.upper.to_string()},
                ]})
            });
            (rows.collect(), 0)
        } else {
            (Vec::new(), 1) // training: still running at the first answer
        };
        fake.log.push(format!("statement {job}"));
        fake.jobs.insert(job.clone(), (rows, size, polls));
        return page(&mut fake, &job, 0, "bigquery#queryResponse");
    }
    assert!(
        sql.contains(&format!("FROM `{project}.telemetry.readings`")),
        "unexpected query {sql}"
    );
    assert_eq!(body["useLegacySql"], false);
    let params: HashMap<String, DateTime<Utc>> = body["queryParameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                bq_time(p["parameterValue"]["value"].as_str().unwrap()),
            )
        })
        .collect();
    let (since, until) = (params["since"], params["until"]);
    let mut rows: Vec<TableRow> = fake
        .rows
        .iter()
        .filter(|r| r.ts > since && r.ts <= until)
        .cloned()
        .collect();
    rows.sort_by(|a, b| (a.ts, &a.node).cmp(&(b.ts, &b.node)));
    let rendered = rows
        .iter()
        .map(|r| {
            let mut cells = vec![json!({"v": seconds(r.ts)}), json!({"v": r.node})];
            cells.extend(
                r.values
                    .iter()
                    .map(|v| json!({"v": v.map(|x| x.to_string())})),
            );
            json!({"f": cells})
        })
        .collect();
    fake.log.push(format!("query {since}..{until}"));
    fake.jobs.insert(job.clone(), (rendered, size, 0));
    page(&mut fake, &job, 0, "bigquery#queryResponse")
}

async fn results(
    State(state): State<Arc<Mutex<Fake>>>,
    Path((_project, job)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    let mut fake = state.lock().unwrap();
    if !authorised(&fake, &headers) {
        return error(401, "Request had invalid authentication credentials.");
    }
    if !fake.jobs.contains_key(&job) {
        return error(404, "Not found: Job");
    }
    let index = query
        .get("pageToken")
        .and_then(|t| t.strip_prefix('p'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    page(&mut fake, &job, index, "bigquery#getQueryResultsResponse")
}

//! Ingestion on both engines: the benchmark sample, bad rows, idempotency, interruption,
//! and the HTTP route's statuses.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};
use server::ingest::{import_nodes, import_readings};
use server::storage::entities::readings;
use std::io::Write;

/// The labelled development set beside the checkout (`../shared/bench/leaks`), or
/// `ROCCAVINA_BENCH_LEAKS` when it lives elsewhere.
fn bench_dir() -> std::path::PathBuf {
    let dir = std::env::var_os("ROCCAVINA_BENCH_LEAKS").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/leaks"),
        std::path::PathBuf::from,
    );
    assert!(
        dir.join("readings.csv").exists(),
        "benchmark data not found in {}: set ROCCAVINA_BENCH_LEAKS",
        dir.display()
    );
    dir
}

/// The first `lines` data lines of the benchmark readings, with the header.
fn bench_sample(lines: usize) -> String {
    let text = std::fs::read_to_string(bench_dir().join("readings.csv")).unwrap();
    text.lines().take(lines + 1).collect::<Vec<_>>().join("\n") + "\n"
}

async fn bench_tenant(db: &DatabaseConnection) -> i64 {
    let tenant = new_tenant(db, "bench").await;
    let nodes = std::fs::File::open(bench_dir().join("nodes.csv")).unwrap();
    let report = import_nodes(db, tenant, nodes).await.unwrap();
    assert_eq!((report.inserted, report.rejected), (16, 0), "{report:?}");
    let again = import_nodes(
        db,
        tenant,
        std::fs::File::open(bench_dir().join("nodes.csv")).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 16));
    tenant
}

#[tokio::test]
async fn the_benchmark_sample_imports_cleanly_and_twice_changes_nothing() {
    each_engine(|db| async move {
        let tenant = bench_tenant(&db).await;
        let sample = bench_sample(20_000);
        let first = import_readings(
            &db,
            tenant,
            std::io::Cursor::new(sample.clone()),
            3_000,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(
            (first.inserted, first.updated, first.rejected),
            (20_000, 0, 0),
            "{first:?}"
        );
        let again = import_readings(&db, tenant, std::io::Cursor::new(sample), 3_000, |_| {})
            .await
            .unwrap();
        assert_eq!(
            (again.inserted, again.updated, again.unchanged),
            (0, 0, 20_000)
        );
        assert_eq!(readings::Entity::find().count(&db).await.unwrap(), 20_000);
    })
    .await;
}

#[tokio::test]
async fn exactly_the_good_rows_land_and_every_bad_line_is_reported() {
    each_engine(|db| async move {
        let tenant = bench_tenant(&db).await;
        let mut csv = String::from("timestamp,node_id,metric,value\n");
        let mut bad_lines = Vec::new();
        for i in 0..1_000u32 {
            let line = i as u64 + 2;
            let ts = format!("2026-01-05T{:02}:{:02}:00Z", i / 60 % 24, i % 60);
            let row = match i % 20 {
                3 => format!("{ts},NOPE,pressure,3.0"),
                7 => format!("{ts},P01,colour,3.0"),
                11 => "yesterday,P01,pressure,3.0".to_string(),
                13 => format!("{ts},P01,pressure,NaN"),
                17 => format!("{ts},P01,pressure,300"),
                _ => format!(
                    "{ts},P{:02},pressure,{}",
                    i % 12 + 1,
                    2.0 + f64::from(i % 7) / 10.0
                ),
            };
            if [3, 7, 11, 13, 17].contains(&(i % 20)) {
                bad_lines.push(line);
            }
            csv.push_str(&row);
            csv.push('\n');
        }
        let report = import_readings(&db, tenant, std::io::Cursor::new(csv), 128, |_| {})
            .await
            .unwrap();
        assert_eq!(report.rejected as usize, bad_lines.len());
        let reported: Vec<u64> = report.rejections.iter().map(|r| r.line).collect();
        assert_eq!(reported, bad_lines);
        assert_eq!(report.inserted as usize, 1_000 - bad_lines.len());
        assert_eq!(
            readings::Entity::find().count(&db).await.unwrap() as usize,
            1_000 - bad_lines.len()
        );
    })
    .await;
}

#[tokio::test]
async fn an_interrupted_import_reruns_without_duplicates_or_gaps() {
    each_engine(|db| async move {
        let tenant = bench_tenant(&db).await;
        let sample = bench_sample(6_000);
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            // Months that already have a partition are written batch by batch (a new month
            // is loaded whole and lands at the end: see `bulk_load.rs`).
            let times = sample.lines().skip(1).map(|l| {
                let ts = l.split(',').next().unwrap();
                ts.parse::<chrono::DateTime<chrono::Utc>>().unwrap()
            });
            server::storage::partitions::ensure_for(db.get_postgres_connection_pool(), times)
                .await
                .unwrap();
        }
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let mut stop_tx = Some(stop_tx);
        let mut batches = 0;
        let import = import_readings(
            &db,
            tenant,
            std::io::Cursor::new(sample.clone()),
            500,
            move |_| {
                batches += 1;
                if batches == 3 {
                    if let Some(tx) = stop_tx.take() {
                        let _ = tx.send(());
                    }
                }
            },
        );
        tokio::select! {
            _ = import => panic!("the import finished before it was interrupted"),
            _ = stop_rx => {}
        }
        let landed = readings::Entity::find().count(&db).await.unwrap();
        assert!(
            (1_500..6_000).contains(&landed),
            "{landed} rows after the interruption"
        );
        let rerun = import_readings(&db, tenant, std::io::Cursor::new(sample), 500, |_| {})
            .await
            .unwrap();
        assert_eq!(rerun.inserted + rerun.unchanged, 6_000);
        // Batches already handed to the database when the import stopped still finish.
        assert!(rerun.unchanged >= landed, "{} < {landed}", rerun.unchanged);
        assert_eq!(rerun.updated, 0);
        assert_eq!(readings::Entity::find().count(&db).await.unwrap(), 6_000);
    })
    .await;
}

fn post(uri: &str, token: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn the_readings_route_accepts_json_and_gzip_csv_and_refuses_the_rest() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let token = login_token(&app).await;

    let json = serde_json::json!([
        {"node_id": "P01", "metric": "pressure", "timestamp": "2026-01-05T00:00:00Z", "value": 3.2},
        {"node_id": "P01", "metric": "pressure", "timestamp": "2026-01-05T00:15:00Z", "value": 3.1},
        {"node_id": "ZZZ", "metric": "pressure", "timestamp": "2026-01-05T00:15:00Z", "value": 3.1},
    ]);
    let reply = send(
        &app,
        post(
            "/api/v1/readings",
            &token,
            "application/json",
            json.to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let report = reply.json();
    assert_eq!(report["inserted"], 2);
    assert_eq!(report["rejections"][0]["line"], 3);
    assert_eq!(report["rejections"][0]["field"], "node_id");

    let csv = "timestamp,node_id,flow_rate,pressure\n2026-01-05T00:00:00Z,F01,12.5,3.3\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let reply = send(
        &app,
        post("/api/v1/readings", &token, "text/csv", gz.finish().unwrap()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["inserted"], 2);

    let reply = send(
        &app,
        post(
            "/api/v1/readings",
            &token,
            "application/json",
            "[{\"node_id\":",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = send(
        &app,
        post("/api/v1/readings", &token, "application/xml", "<x/>"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let reply = send(
        &app,
        post("/api/v1/readings", &token, "text/csv", "time,node\n1,2\n"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["field"], "header");
    let all_bad = "timestamp,node_id,metric,value\nnever,P01,pressure,1\n";
    let reply = send(&app, post("/api/v1/readings", &token, "text/csv", all_bad)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["rejected"], 1);
    let huge = vec![b'a'; 65 * 1024 * 1024];
    let reply = send(&app, post("/api/v1/readings", &token, "text/csv", huge)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let reply = send(
        &app,
        Request::post("/api/v1/readings")
            .header("content-type", "text/csv")
            .body(Body::from(csv))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn viewers_cannot_import() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let viewer = token_for_role(&app, &t.db, demo.tenant_id, "viewer").await;
    let csv = "timestamp,node_id,metric,value\n2026-01-05T00:00:00Z,P01,pressure,3.0\n";
    let reply = send(&app, post("/api/v1/readings", &viewer, "text/csv", csv)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(readings::Entity::find().count(&t.db).await.unwrap(), 0);
    let operator = token_for_role(&app, &t.db, demo.tenant_id, "operator").await;
    let reply = send(&app, post("/api/v1/readings", &operator, "text/csv", csv)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(readings::Entity::find().count(&t.db).await.unwrap(), 1);
}

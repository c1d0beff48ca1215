//! The anomaly detection job over the database, on both engines: a burst is found once, near
//! its loggers, from runs that each see only the data up to their clock; a stuck logger and a
//! lost reading are faults; repeated and cold-started runs add nothing; and the incidents API
//! with its lifecycle and roles.

use crate::support::*;
use analytics::synth::{network, LeakSpec, SynthConfig};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::DateTime;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use server::anomalies::AnomalyEngine;
use server::storage::entities::{audit_log, incidents};
use server::storage::readings::{upsert, NewReading};
use shared::Metric;

const DAY: usize = 96;
const LEAK_START: usize = 24 * DAY + 4;

/// Loads the synthetic network (burst in D0, stuck D1-P1, lost reading at D1-P2) into a tenant.
pub(crate) async fn seed(db: &DatabaseConnection, slug: &str) -> (i64, analytics::Panel) {
    let tenant = new_tenant(db, slug).await;
    let panel = network(&SynthConfig {
        leaks: vec![LeakSpec {
            district: 0,
            start: LEAK_START,
            end: None,
            lps: 40.0,
            drops: vec![0.12, 0.08, 0.03],
        }],
        stuck: Some((5, 22 * DAY + 40, 16)),
        missing: Some((6, 23 * DAY + 48)),
        ..Default::default()
    });
    let mut nodes = String::from("node_id,name,kind,lat,lon,district\n");
    for s in &panel.series {
        let kind = if s.metric == "pressure" {
            "pressure"
        } else {
            "flow"
        };
        nodes += &format!(
            "{},{} logger,{kind},39.2,9.1,{}\n",
            s.node,
            s.node,
            s.district.clone().unwrap_or_default()
        );
    }
    server::ingest::import_nodes(db, tenant, nodes.as_bytes())
        .await
        .unwrap();
    let ids = server::ingest::import::node_map(db, tenant).await.unwrap();
    let mut rows = Vec::new();
    for s in &panel.series {
        let metric = if s.metric == "pressure" {
            Metric::Pressure
        } else {
            Metric::FlowRate
        };
        for (t, v) in s.values.iter().enumerate() {
            if v.is_finite() {
                rows.push(NewReading {
                    node_id: ids[&s.node],
                    metric,
                    ts: DateTime::from_timestamp(panel.time(t), 0).unwrap(),
                    value: *v,
                    quality: 0,
                });
            }
        }
    }
    for chunk in rows.chunks(20_000) {
        upsert(db, tenant, chunk).await.unwrap();
    }
    (tenant, panel)
}

async fn run(
    engine: &AnomalyEngine,
    db: &DatabaseConnection,
    tenant: i64,
    panel: &analytics::Panel,
    steps: std::ops::Range<usize>,
) {
    for t in steps {
        engine
            .run_tick(
                db,
                None,
                tenant,
                DateTime::from_timestamp(panel.time(t), 0).unwrap(),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_job_finds_the_burst_once_and_the_faults_as_faults() {
    each_engine(|db| async move {
        let (tenant, panel) = seed(&db, "synth").await;
        // Two processes in turn: the second starts with an empty window (another replica).
        run(
            &AnomalyEngine::default(),
            &db,
            tenant,
            &panel,
            20 * DAY..24 * DAY,
        )
        .await;
        let engine = AnomalyEngine::default();
        run(&engine, &db, tenant, &panel, 24 * DAY..26 * DAY).await;
        let rows = incidents::Entity::find()
            .filter(incidents::Column::TenantId.eq(tenant))
            .all(&db)
            .await
            .unwrap();
        let hydraulic: Vec<_> = rows
            .iter()
            .filter(|r| !r.kind.starts_with("sensor_"))
            .collect();
        assert_eq!(
            hydraulic.len(),
            1,
            "one event, one incident: {hydraulic:#?}"
        );
        let leak = hydraulic[0];
        assert_eq!(leak.kind, "leak");
        assert_eq!(leak.district.as_deref(), Some("D0"));
        let affected: Vec<analytics::incidents::Affected> =
            serde_json::from_str(&leak.affected).unwrap();
        assert_eq!(affected[0].node, "D0-P0", "nearest logger first");
        let delay = leak.detected_at.timestamp() - panel.time(LEAK_START);
        assert!(
            (0..=3 * 3600).contains(&delay),
            "detected {delay} s after the burst"
        );
        let mut faults: Vec<(String, String)> = rows
            .iter()
            .filter(|r| r.kind.starts_with("sensor_"))
            .map(|r| {
                (
                    r.kind.clone(),
                    serde_json::from_str::<Vec<analytics::incidents::Affected>>(&r.affected)
                        .unwrap()[0]
                        .node
                        .clone(),
                )
            })
            .collect();
        faults.sort();
        assert_eq!(
            faults,
            [
                ("sensor_missing".into(), "D1-P2".into()),
                ("sensor_stuck".into(), "D1-P1".into())
            ]
        );
        // The same tick again, and an older one: nothing new (the watermark says they ran).
        let before = incidents::Entity::find()
            .filter(incidents::Column::TenantId.eq(tenant))
            .count(&db)
            .await
            .unwrap();
        let report = engine
            .run_tick(
                &db,
                None,
                tenant,
                DateTime::from_timestamp(panel.time(26 * DAY - 1), 0).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(report.steps, 0);
        let after = incidents::Entity::find()
            .filter(incidents::Column::TenantId.eq(tenant))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(before, after);
    })
    .await;
}

#[tokio::test]
async fn operators_acknowledge_and_resolve_viewers_may_not() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let tenant = demo.tenant_id;
    let now = chrono::Utc::now();
    let id = {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        incidents::ActiveModel {
            tenant_id: Set(tenant),
            uid: Set("leak:D0@1".into()),
            dedupe_key: Set("leak:D0".into()),
            kind: Set("leak".into()),
            severity: Set("critical".into()),
            status: Set("open".into()),
            district: Set(Some("D0".into())),
            started_at: Set(now),
            detected_at: Set(now),
            last_seen_at: Set(now),
            ended_at: Set(None),
            score: Set(-8.5),
            affected: Set(r#"[{"node":"P01","metric":"pressure","score":-8.5,"expected":4.1,"actual":3.9,"since":1}]"#.into()),
            explanation: Set("Pressure at P01 is low".into()),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap()
        .id
    };
    let viewer = token_for_role(&app, &t.db, tenant, "viewer").await;
    let operator = token_for_role(&app, &t.db, tenant, "operator").await;
    let post = |uri: String, token: &str, body: Option<&str>| {
        let mut req = Request::post(uri).header("authorization", format!("Bearer {token}"));
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        req.body(body.map_or(Body::empty(), |b| Body::from(b.to_owned())))
            .unwrap()
    };
    // Everyone in the tenant reads; filters work and bad ones are named.
    let list = send(
        &app,
        get("/api/v1/anomalies?status=open&kind=leak", Some(&viewer)),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["affected"][0]["external_id"], "P01");
    assert_eq!(
        list[0]["affected"][0]["node_id"],
        demo_node_id(&t.db, tenant, "P01").await
    );
    let empty = send(
        &app,
        get("/api/v1/anomalies?kind=sensor_stuck", Some(&viewer)),
    )
    .await
    .json();
    assert_eq!(empty.as_array().unwrap().len(), 0);
    let bad = send(&app, get("/api/v1/anomalies?kind=flood", Some(&viewer))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "kind");
    // By severity and district (the incident is a critical one in D0), and detection time.
    let count = |query: &'static str| {
        let app = app.clone();
        let viewer = viewer.clone();
        async move {
            let reply = send(&app, get(query, Some(&viewer))).await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
            reply.json().as_array().unwrap().len()
        }
    };
    assert_eq!(
        count("/api/v1/anomalies?severity=critical&district=D0").await,
        1
    );
    assert_eq!(count("/api/v1/anomalies?severity=warning").await, 0);
    assert_eq!(count("/api/v1/anomalies?district=D1").await, 0);
    assert_eq!(
        count("/api/v1/anomalies?severity=&district=").await,
        1,
        "empty = any"
    );
    let an_hour_ago = shared::clock::rfc3339(now - chrono::Duration::hours(1));
    let since = |from: &str| format!("/api/v1/anomalies?from={}", from.replace(':', "%3A"));
    let reply = send(&app, get(&since(&an_hour_ago), Some(&viewer))).await;
    assert_eq!(reply.json().as_array().unwrap().len(), 1);
    let later = shared::clock::rfc3339(now + chrono::Duration::hours(1));
    let reply = send(&app, get(&since(&later), Some(&viewer))).await;
    assert_eq!(reply.json().as_array().unwrap().len(), 0);
    let bad = send(
        &app,
        get("/api/v1/anomalies?severity=urgent", Some(&viewer)),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "severity");
    // The same list as a CSV download, with the browser's cookie instead of a Bearer token.
    let req = axum::http::Request::get("/api/v1/anomalies?status=open&kind=leak&format=csv")
        .header("cookie", format!("rw_access={viewer}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let csv = send(&app, req).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    let text = csv.text();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let field = |name: &str| rows[0][headers.iter().position(|h| h == name).unwrap()].to_owned();
    assert_eq!(field("id"), list[0]["id"].to_string());
    assert_eq!(field("kind"), "leak");
    assert_eq!(field("status"), "open");
    assert_eq!(
        field("explanation"),
        list[0]["explanation"].as_str().unwrap()
    );
    assert!(
        field("affected").starts_with("P01 pressure "),
        "{}",
        field("affected")
    );
    let bad = send(&app, get("/api/v1/anomalies?format=xml", Some(&viewer))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "format");
    // The dashboard counts it (and caches the summary).
    let summary = send(&app, get("/api/v1/dashboard/summary", Some(&viewer)))
        .await
        .json();
    assert_eq!(
        (
            summary["open_incidents"].as_i64(),
            summary["critical_incidents"].as_i64()
        ),
        (Some(1), Some(1))
    );
    // A viewer may not act; an operator may, once per step of the lifecycle.
    let refused = send(
        &app,
        post(format!("/api/v1/anomalies/{id}/acknowledge"), &viewer, None),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let ack = send(
        &app,
        post(
            format!("/api/v1/anomalies/{id}/acknowledge"),
            &operator,
            Some(r#"{"comment":"crew sent"}"#),
        ),
    )
    .await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text());
    let ack = ack.json();
    assert_eq!(ack["status"], "acknowledged");
    assert_eq!(ack["acknowledged_by"], "operator");
    assert!(ack["comment"]
        .as_str()
        .unwrap()
        .ends_with("operator: crew sent"));
    let again = send(
        &app,
        post(
            format!("/api/v1/anomalies/{id}/acknowledge"),
            &operator,
            None,
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let long = format!(r#"{{"comment":"{}"}}"#, "x".repeat(2001));
    let too_long = send(
        &app,
        post(
            format!("/api/v1/anomalies/{id}/resolve"),
            &operator,
            Some(&long),
        ),
    )
    .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let resolved = send(
        &app,
        post(format!("/api/v1/anomalies/{id}/resolve"), &operator, None),
    )
    .await;
    assert_eq!(resolved.status, StatusCode::OK);
    assert_eq!(resolved.json()["status"], "resolved");
    // Resolving dropped the cached summary: the count follows at once.
    let summary = send(&app, get("/api/v1/dashboard/summary", Some(&viewer)))
        .await
        .json();
    assert_eq!(summary["open_incidents"], 0);
    let missing = send(
        &app,
        post("/api/v1/anomalies/999999/resolve".into(), &operator, None),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let audited: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::TenantId.eq(tenant))
        .filter(audit_log::Column::Target.eq(format!("incident:{id}")))
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(audited, ["incident.acknowledge", "incident.resolve"]);
}

async fn demo_node_id(db: &DatabaseConnection, tenant: i64, external: &str) -> i64 {
    server::ingest::import::node_map(db, tenant).await.unwrap()[external]
}

#[tokio::test]
async fn the_cleanup_job_deletes_resolved_incidents_past_retention_only() {
    use server::jobs::{cleanup::Cleanup, Job, JobContext, JobSettings};
    each_engine(|db| async move {
        let tenant = new_tenant(&db, "tidy").await;
        let now = chrono::Utc::now();
        let old = now - chrono::Duration::days(400);
        for (uid, status, ended) in [
            ("old-resolved", "resolved", Some(old)),
            ("old-open", "open", Some(old)),
            (
                "recent-resolved",
                "resolved",
                Some(now - chrono::Duration::days(10)),
            ),
            ("old-still-going", "resolved", None),
        ] {
            use sea_orm::{ActiveModelTrait, ActiveValue::Set};
            incidents::ActiveModel {
                tenant_id: Set(tenant),
                uid: Set(uid.into()),
                dedupe_key: Set(uid.into()),
                kind: Set("sensor_stuck".into()),
                severity: Set("warning".into()),
                status: Set(status.into()),
                district: Set(None),
                started_at: Set(old),
                detected_at: Set(old),
                last_seen_at: Set(old),
                ended_at: Set(ended),
                score: Set(1.0),
                affected: Set("[]".into()),
                explanation: Set(uid.into()),
                ..Default::default()
            }
            .insert(&db)
            .await
            .unwrap();
        }
        let ctx = JobContext {
            db: db.clone(),
            cache: std::sync::Arc::new(server::cache::MemoryCache::new(10)),
            live: server::live::Live::new(
                None,
                server::cache::JsonCache::new(std::sync::Arc::new(
                    server::cache::MemoryCache::new(10),
                )),
            ),
            sources: Default::default(),
            settings: JobSettings {
                backfill: chrono::Duration::days(1),
                resync_window: chrono::Duration::hours(48),
                stale_intervals: 4,
                keep_runs: chrono::Duration::days(90),
                keep_incidents: chrono::Duration::days(365),
            },
            tenant_id: tenant,
            scheduled_at: now,
        };
        let report = Cleanup.run(&ctx).await.unwrap();
        assert!(
            report.detail.contains("1 resolved incidents"),
            "{}",
            report.detail
        );
        let mut left: Vec<String> = incidents::Entity::find()
            .filter(incidents::Column::TenantId.eq(tenant))
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.uid)
            .collect();
        left.sort();
        assert_eq!(left, ["old-open", "old-still-going", "recent-resolved"]);
    })
    .await;
}

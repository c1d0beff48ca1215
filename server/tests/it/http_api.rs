//! REST routes through `oneshot`: authentication, bad input, the summary, ops endpoints
//! and the OpenAPI document.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use serde_json::json;
use server::demo::model::{self, NODES};
use std::collections::BTreeSet;

#[tokio::test]
async fn summary_requires_a_valid_bearer_token() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let reply = send(&app, get("/api/v1/dashboard/summary", None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.headers["www-authenticate"], "Bearer");
    assert_eq!(reply.json()["code"], "unauthenticated");
    let reply = send(&app, get("/api/v1/dashboard/summary", Some("forged-token"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_answers_bad_input_with_the_right_status() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);

    let malformed = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from("{\"email\": "))
        .unwrap();
    let reply = send(&app, malformed).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert_eq!(reply.json()["code"], "bad_request");

    let missing_field = post_json("/api/v1/auth/login", &json!({"email": DEMO_EMAIL}));
    let reply = send(&app, missing_field).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text()
    );
    assert!(reply.json()["error"].as_str().unwrap().contains("password"));

    let wrong_type = Request::post("/api/v1/auth/login")
        .header("content-type", "text/plain")
        .body(Body::from("email=x"))
        .unwrap();
    let reply = send(&app, wrong_type).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let bad_email = post_json(
        "/api/v1/auth/login",
        &json!({"email": "nobody", "password": "x"}),
    );
    let reply = send(&app, bad_email).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["field"], "email");

    let wrong = post_json(
        "/api/v1/auth/login",
        &json!({"email": DEMO_EMAIL, "password": "not-the-password"}),
    );
    let wrong_reply = send(&app, wrong).await;
    assert_eq!(wrong_reply.status, StatusCode::UNAUTHORIZED);
    let unknown = post_json(
        "/api/v1/auth/login",
        &json!({"email": "ghost@roccavina.demo", "password": "not-the-password"}),
    );
    let unknown_reply = send(&app, unknown).await;
    assert_eq!(unknown_reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_reply.body, unknown_reply.body,
        "must not reveal which part was wrong"
    );

    let huge = format!(
        "{{\"email\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(3 * 1024 * 1024)
    );
    let reply = send(&app, post_json_raw("/api/v1/auth/login", huge)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

fn post_json_raw(uri: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn summary_reports_the_stored_readings() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let now = Utc::now();
    let written = fill_demo(&t.db, &demo, now).await;
    let app = server::web::app(state);
    let token = login_token(&app).await;

    let reply = send(&app, get("/api/v1/dashboard/summary", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let s = reply.json();
    assert_eq!(s["tenant"], "demo");
    assert_eq!(s["node_count"], NODES.len());
    // Every seeded reading is inside the 24 h window, except those of the slot exactly 24 h ago.
    let readings = s["readings_24h"].as_u64().unwrap();
    assert!(
        readings <= written && readings + 9 >= written,
        "{readings} of {written}"
    );
    let nodes = s["nodes"].as_array().unwrap();
    let ids: Vec<&str> = nodes
        .iter()
        .map(|n| n["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["F01", "F02", "P01", "P02", "P03", "P04", "T01"]);
    // A node's latest reading of `metric` is the model's value at the newest 5-minute slot.
    let is_latest = |i: usize, metric: shared::Metric| {
        let latest = &nodes[i][metric.as_str()];
        let at: chrono::DateTime<Utc> = latest["at"].as_str().unwrap().parse().unwrap();
        assert!(now - at < Duration::minutes(5) && at <= now);
        let expected = model::value(server::demo::feed::SEED, &NODES[i], metric, at);
        assert_eq!(latest["value"].as_f64().unwrap(), expected);
    };
    is_latest(0, shared::Metric::FlowRate);
    assert!(
        nodes[6]["flow_rate"].is_null(),
        "the tank has no flow meter"
    );
    // The tank reports its level.
    is_latest(6, shared::Metric::Level);
    assert!(nodes[0]["level"].is_null(), "a flow meter has no level");
}

#[tokio::test]
async fn ops_endpoints_report_health_readiness_and_metrics() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);

    let reply = send(&app, get("/healthz", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "ok");
    assert!(
        reply.headers.contains_key("x-request-id"),
        "request id missing"
    );

    let reply = send(&app, get("/readyz", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let ready = reply.json();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"]["kind"], "sqlite");
    assert_eq!(ready["cache"]["kind"], "memory");

    send(&app, get("/api/v1/dashboard/summary", None)).await;
    let metrics = send(&app, get("/metrics", None)).await.text();
    assert!(
        metrics.contains(
            r#"roccavina_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"route="/api/v1/dashboard/summary",status="401"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("roccavina_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn openapi_documents_every_rest_route() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let doc = send(&app, get("/api/v1/openapi.json", None)).await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<String> = paths
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let expected: BTreeSet<String> = [
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/auth/register",
        "POST /api/v1/invitations",
        "POST /api/v1/auth/logout",
        "GET /api/v1/auth/me",
        "GET /api/v1/auth/tenants",
        "DELETE /api/v1/auth/tenants/{id}",
        "GET /api/v1/tenants/current",
        "GET /api/v1/audit",
        "POST /api/v1/api-keys",
        "GET /api/v1/api-keys",
        "DELETE /api/v1/api-keys/{id}",
        "GET /api/v1/members",
        "PATCH /api/v1/members/{id}",
        "DELETE /api/v1/members/{id}",
        "GET /api/v1/dashboard/summary",
        "GET /api/v1/nodes/{id}/readings",
        "GET /api/v1/jobs",
        "POST /api/v1/jobs/{name}/run",
        "GET /api/v1/data-quality",
        "GET /api/v1/anomalies",
        "GET /api/v1/anomalies/{id}",
        "POST /api/v1/anomalies/{id}/acknowledge",
        "POST /api/v1/anomalies/{id}/resolve",
        "GET /api/v1/network/efficiency",
        "GET /api/v1/forecasts/{node_id}/{metric}",
        "GET /api/v1/districts/{district_id}/forecast",
        "GET /api/v1/events",
        "POST /api/v1/readings",
        "POST /api/v1/nodes",
        "GET /api/v1/dashboard/period",
        "POST /api/v1/auth/join",
        "GET /api/v1/network/overview",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(documented, expected);
    // Every documented operation is routed (never 404 or 405).
    for op in &documented {
        let (method, path) = op.split_once(' ').unwrap();
        let path = path.replace("{id}", "1");
        let req = Request::builder()
            .method(method)
            .uri(&path)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let status = send(&app, req).await.status;
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{op} answered {status}"
        );
    }
    // Anything else under /api/v1 is a JSON 404.
    let reply = send(&app, get("/api/v1/no-such-route", None)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json()["code"], "not_found");
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_trusted_proxies() {
    for (hops, expected) in [(0, serde_json::Value::Null), (1, json!("203.0.113.7"))] {
        let t = TestDb::sqlite().await;
        let (state, _) = state_with_config(&t.db, |c| c.trusted_proxy_hops = hops).await;
        let app = server::web::app(state);
        let req = Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .header("x-forwarded-for", "203.0.113.7")
            .body(Body::from(
                json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD}).to_string(),
            ))
            .unwrap();
        let token = send(&app, req).await.json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let log = send(&app, get("/api/v1/audit", Some(&token))).await.json();
        assert_eq!(log[0]["action"], "login");
        assert_eq!(log[0]["ip"], expected, "with {hops} trusted proxies");
    }
}

#[tokio::test]
async fn diagnostics_check_every_part_for_admins_only() {
    use server_fn::ServerFn;
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    // A failed run of the quality job, for the demo tenant: the scheduler check names it.
    {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let now = chrono::Utc::now();
        server::storage::entities::job_runs::ActiveModel {
            job: Set("data_quality".into()),
            tenant_id: Set(demo.tenant_id),
            trigger: Set("schedule".into()),
            scheduled_at: Set(now),
            started_at: Set(now),
            finished_at: Set(Some(now)),
            heartbeat_at: Set(now),
            status: Set("failed".into()),
            error: Set(Some("probe failure".into())),
            rows_processed: Set(0),
            instance: Set("test".into()),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
    }
    let app = server::web::app(state);
    let call = |token: String| {
        let app = app.clone();
        async move {
            let req = Request::builder()
                .method("POST")
                .uri(app::server_fns::diagnostics::GetDiagnostics::PATH)
                .header("cookie", format!("rw_access={token}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(Body::empty())
                .unwrap();
            send(&app, req).await
        }
    };
    let admin = login_token(&app).await;
    let reply = call(admin).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let report = serde_json::to_value(reply.wire::<shared::diagnostics::Diagnostics>()).unwrap();
    let status = |name: &str| -> (String, String) {
        let c = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check"));
        (
            c["status"].as_str().unwrap().to_owned(),
            c["detail"].as_str().unwrap().to_owned(),
        )
    };
    let known = {
        use migrations::MigratorTrait;
        migrations::Migrator::migrations().len()
    };
    assert_eq!(
        status("database"),
        (
            "ok".into(),
            format!("SQLite; {known} of {known} migrations applied")
        )
    );
    assert_eq!(status("cache").0, "ok");
    assert_eq!(status("sessions"), ("ok".into(), "database tables".into()));
    assert_eq!(status("warehouse").0, "off");
    let (scheduler, detail) = status("scheduler");
    assert_eq!(scheduler, "warning");
    assert!(
        detail.ends_with("last run failed: data_quality"),
        "{detail}"
    );
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));

    let viewer = token_for_role(&app, &t.db, demo.tenant_id, "viewer").await;
    assert_eq!(call(viewer).await.status, StatusCode::FORBIDDEN);
}

//! API keys: created once by an admin, scoped, revocable, never shown again.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

fn with_key(method: &str, uri: &str, key: &str, body: Option<(&str, String)>) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {key}"));
    if let Some((ct, _)) = &body {
        req = req.header("content-type", *ct);
    }
    req.body(body.map_or(Body::empty(), |(_, b)| Body::from(b)))
        .unwrap()
}

async fn create_key(app: &axum::Router, admin: &str, scopes: serde_json::Value) -> (i64, String) {
    let reply = send(
        app,
        with_key(
            "POST",
            "/api/v1/api-keys",
            admin,
            Some((
                "application/json",
                json!({"name": "SCADA bridge", "scopes": scopes}).to_string(),
            )),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let body = reply.json();
    (
        body["info"]["id"].as_i64().unwrap(),
        body["key"].as_str().unwrap().to_owned(),
    )
}

const CSV: &str = "timestamp,node_id,metric,value\n2026-01-05T00:00:00Z,P01,pressure,3.0\n";

#[tokio::test]
async fn keys_follow_their_scopes_and_stop_when_revoked() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let admin = login_token(&app).await;

    let (ingest_id, ingest) = create_key(&app, &admin, json!(["ingest"])).await;
    let (_, reader) = create_key(&app, &admin, json!(["read"])).await;
    assert!(ingest.starts_with("rw_") && ingest.len() > 40);

    let listed = send(&app, with_key("GET", "/api/v1/api-keys", &admin, None)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(
        !listed.text().contains(&ingest),
        "a listed key shows its secret"
    );
    assert_eq!(listed.json()[1]["prefix"], &ingest[..10]);

    let csv = Some(("text/csv", CSV.to_owned()));
    assert_eq!(
        send(
            &app,
            with_key("POST", "/api/v1/readings", &ingest, csv.clone())
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        send(
            &app,
            with_key("GET", "/api/v1/dashboard/summary", &ingest, None)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let summary = send(
        &app,
        with_key("GET", "/api/v1/dashboard/summary", &reader, None),
    )
    .await;
    assert_eq!(summary.status, StatusCode::OK);
    assert_eq!(summary.json()["tenant"], "demo");
    assert_eq!(
        send(
            &app,
            with_key("POST", "/api/v1/readings", &reader, csv.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Keys never manage keys, and never leave their tenant.
    let escalate = Some((
        "application/json",
        json!({"name": "x", "scopes": ["read"]}).to_string(),
    ));
    assert_eq!(
        send(
            &app,
            with_key("POST", "/api/v1/api-keys", &reader, escalate)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    new_tenant(&t.db, "other").await;
    let mut req = with_key("GET", "/api/v1/dashboard/summary", &reader, None);
    req.headers_mut()
        .insert("x-tenant-id", "other".parse().unwrap());
    assert_eq!(send(&app, req).await.status, StatusCode::FORBIDDEN);

    let revoked = send(
        &app,
        with_key(
            "DELETE",
            &format!("/api/v1/api-keys/{ingest_id}"),
            &admin,
            None,
        ),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        send(&app, with_key("POST", "/api/v1/readings", &ingest, csv))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let log = send(&app, with_key("GET", "/api/v1/audit", &admin, None))
        .await
        .json();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        &actions[..3],
        ["api_key_revoked", "api_key_created", "api_key_created"]
    );

    let viewer = token_for_role(&app, &t.db, demo.tenant_id, "viewer").await;
    let attempt = Some((
        "application/json",
        json!({"name": "x", "scopes": ["read"]}).to_string(),
    ));
    assert_eq!(
        send(&app, with_key("POST", "/api/v1/api-keys", &viewer, attempt))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = Some((
        "application/json",
        json!({"name": "", "scopes": []}).to_string(),
    ));
    let reply = send(&app, with_key("POST", "/api/v1/api-keys", &admin, bad)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["field"], "name");
}

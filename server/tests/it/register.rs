//! Registration: a new tenant with its admin, or joining by invitation; password rules.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

fn register(body: serde_json::Value) -> Request<Body> {
    post_json("/api/v1/auth/register", &body)
}

#[tokio::test]
async fn a_new_utility_registers_and_invites_a_colleague() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);

    let weak = register(
        json!({"email": "ada@acquasud.it", "password": "short", "display_name": "Ada",
        "enrolment": {"kind": "create_tenant", "tenant_name": "Acqua Sud"}}),
    );
    let reply = send(&app, weak).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["field"], "password");

    let ok = register(
        json!({"email": "ada@acquasud.it", "password": "granite-lagoon-47", "display_name": "Ada",
        "enrolment": {"kind": "create_tenant", "tenant_name": "Acqua Sud S.p.A."}}),
    );
    let reply = send(&app, ok).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["user"]["tenant"]["slug"], "acqua-sud-s-p-a");
    assert_eq!(body["user"]["role"], "admin");
    let ada = body["access_token"].as_str().unwrap().to_owned();

    let again = register(
        json!({"email": "ADA@acquasud.it", "password": "another-granite-9", "display_name": "Ada",
        "enrolment": {"kind": "create_tenant", "tenant_name": "Acqua Sud"}}),
    );
    let reply = send(&app, again).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["field"], "email");

    let invite = Request::post("/api/v1/invitations")
        .header("authorization", format!("Bearer {ada}"))
        .header("content-type", "application/json")
        .body(Body::from(json!({"role": "operator"}).to_string()))
        .unwrap();
    let reply = send(&app, invite).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let code = reply.json()["code"].as_str().unwrap().to_owned();

    let join = |email: &str| {
        register(
            json!({"email": email, "password": "basalt-harbour-12", "display_name": "Bruno",
            "enrolment": {"kind": "join", "code": code}}),
        )
    };
    let reply = send(&app, join("bruno@acquasud.it")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json()["user"]["tenant"]["slug"], "acqua-sud-s-p-a");
    assert_eq!(reply.json()["user"]["role"], "operator");
    let reply = send(&app, join("carla@acquasud.it")).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a code works once"
    );
    assert_eq!(reply.json()["field"], "code");

    // Ada's workspace is empty and separate from the demo tenant.
    let summary = send(&app, get("/api/v1/dashboard/summary", Some(&ada)))
        .await
        .json();
    assert_eq!(summary["node_count"], 0);
    let log = send(&app, get("/api/v1/audit", Some(&ada))).await.json();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"register_tenant")
            && actions.contains(&"register_invited")
            && actions.contains(&"invitation_created"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn only_admins_invite() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let operator = token_for_role(&app, &t.db, demo.tenant_id, "operator").await;
    let invite = Request::post("/api/v1/invitations")
        .header("authorization", format!("Bearer {operator}"))
        .header("content-type", "application/json")
        .body(Body::from(json!({"role": "admin"}).to_string()))
        .unwrap();
    assert_eq!(send(&app, invite).await.status, StatusCode::FORBIDDEN);
}

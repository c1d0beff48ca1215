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

fn with_token(req: Request<Body>, token: &str, tenant: Option<&str>) -> Request<Body> {
    let (mut parts, body) = req.into_parts();
    parts
        .headers
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    if let Some(t) = tenant {
        parts.headers.insert("x-tenant-id", t.parse().unwrap());
    }
    Request::from_parts(parts, body)
}

#[tokio::test]
async fn a_member_joins_a_second_tenant_with_a_code_and_reads_it_there() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let demo_admin = login_token(&app).await;
    // Another utility registers and its admin invites the demo administrator as operator.
    let reply = send(
        &app,
        register(json!({"email": "ada@acquasud.it", "password": "granite-lagoon-47",
            "display_name": "Ada", "enrolment": {"kind": "create_tenant", "tenant_name": "Acqua Sud"}})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let ada = reply.json()["access_token"].as_str().unwrap().to_owned();
    let invite = |role: &str| {
        with_token(
            post_json("/api/v1/invitations", &json!({ "role": role })),
            &ada,
            None,
        )
    };
    let code = send(&app, invite("operator")).await.json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let join = |code: &str| {
        with_token(
            post_json("/api/v1/auth/join", &json!({ "code": code })),
            &demo_admin,
            None,
        )
    };
    // Before joining, the other tenant is refused.
    let refused = send(
        &app,
        with_token(
            get("/api/v1/dashboard/summary", None),
            &demo_admin,
            Some("acqua-sud"),
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let reply = send(&app, join(&code)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json()["tenant"]["slug"], "acqua-sud");
    assert_eq!(reply.json()["role"], "operator");
    // Two tenants now, a role in each; the current tenant did not change.
    let tenants = send(&app, get("/api/v1/auth/tenants", Some(&demo_admin)))
        .await
        .json();
    let roles: Vec<(String, String)> = tenants
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["tenant"]["slug"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(roles.len(), 2, "{roles:?}");
    assert!(roles.contains(&("demo".into(), "admin".into())));
    assert!(roles.contains(&("acqua-sud".into(), "operator".into())));
    let me = send(&app, get("/api/v1/auth/me", Some(&demo_admin)))
        .await
        .json();
    assert_eq!(me["tenant"]["slug"], "demo");
    // With the header the other tenant's (empty) data is read, as an operator there.
    let there = send(
        &app,
        with_token(
            get("/api/v1/dashboard/summary", None),
            &demo_admin,
            Some("acqua-sud"),
        ),
    )
    .await;
    assert_eq!(there.status, StatusCode::OK, "{}", there.text());
    assert_eq!(there.json()["tenant"], "acqua-sud");
    assert_eq!(there.json()["node_count"], 0);
    // A used code, a bogus one, and a fresh code of a tenant already joined are refused; the
    // last stays usable by someone else.
    for bad in [code.as_str(), "not-a-code", ""] {
        let reply = send(&app, join(bad)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(reply.json()["field"], "code");
    }
    let fresh = send(&app, invite("viewer")).await.json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = send(&app, join(&fresh)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text().contains("already belong"), "{}", reply.text());
    let reply = send(
        &app,
        register(
            json!({"email": "bruno@acquasud.it", "password": "basalt-harbour-12",
            "display_name": "Bruno", "enrolment": {"kind": "join", "code": fresh}}),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    // The join is in the other tenant's audit log.
    let log = send(&app, get("/api/v1/audit", Some(&ada))).await.json();
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "join_tenant" && e["actor"] == DEMO_EMAIL));
}

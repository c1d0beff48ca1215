//! Members administration: roles change and members leave, audited, never leaving a tenant
//! without an admin; the admin page renders for admins.

use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

fn patch(uri: &str, token: &str, body: serde_json::Value) -> Request<Body> {
    Request::patch(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn delete(uri: &str, token: &str) -> Request<Body> {
    Request::delete(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn admins_change_roles_and_remove_members_but_keep_an_admin() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let admin = login_token(&app).await;
    let operator = token_for_role(&app, &t.db, demo.tenant_id, "operator").await;
    let members = send(&app, get("/api/v1/members", Some(&admin))).await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.text());
    let list = members.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let find = |role: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == role)
            .unwrap()["user_id"]
            .as_i64()
            .unwrap()
    };
    let (admin_id, operator_id) = (find("admin"), find("operator"));

    // Operators may not manage members.
    assert_eq!(
        send(&app, get("/api/v1/members", Some(&operator)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The only admin can neither step down nor leave.
    let uri = format!("/api/v1/members/{admin_id}");
    let reply = send(&app, patch(&uri, &admin, json!({"role": "viewer"}))).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert_eq!(
        send(&app, delete(&uri, &admin)).await.status,
        StatusCode::CONFLICT
    );

    // The operator becomes a viewer: the next request acts with the new role.
    let uri = format!("/api/v1/members/{operator_id}");
    let reply = send(&app, patch(&uri, &admin, json!({"role": "viewer"}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["role"], "viewer");
    let me = send(&app, get("/api/v1/auth/me", Some(&operator)))
        .await
        .json();
    assert_eq!(me["role"], "viewer");
    let bad = send(&app, patch(&uri, &admin, json!({"role": "owner"}))).await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );

    // Removed: their token no longer opens this tenant.
    assert_eq!(
        send(&app, delete(&uri, &admin)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&app, get("/api/v1/auth/me", Some(&operator)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, delete(&uri, &admin)).await.status,
        StatusCode::NOT_FOUND
    );

    let log = send(&app, get("/api/v1/audit", Some(&admin))).await.json();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"role_changed") && actions.contains(&"member_removed"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_member_leaves_a_tenant_but_never_their_last_or_as_its_last_admin() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    use server::storage::entities::{memberships, users};
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let admin = login_token(&app).await;
    let other = new_tenant(&t.db, "other").await;
    let join = |email: String, role: &'static str| {
        let db = t.db.clone();
        async move {
            let user = users::Entity::find()
                .filter(users::Column::Email.eq(email))
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            memberships::ActiveModel {
                user_id: Set(user.id),
                tenant_id: Set(other),
                role: Set(role.into()),
                created_at: Set(chrono::Utc::now()),
            }
            .insert(&db)
            .await
            .unwrap();
        }
    };
    let leave = |tenant: i64, token: &str| delete(&format!("/api/v1/auth/tenants/{tenant}"), token);

    // The demo admin's only tenant cannot be left.
    let reply = send(&app, leave(demo.tenant_id, &admin)).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(reply.text().contains("only tenant"), "{}", reply.text());
    // Nor a tenant they are the only admin of.
    join(DEMO_EMAIL.into(), "admin").await;
    let reply = send(&app, leave(other, &admin)).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(reply.text().contains("admin"), "{}", reply.text());

    // An operator of demo who also views `other` leaves demo, their current tenant: the
    // session moves to `other`, and demo is closed to them.
    let operator = token_for_role(&app, &t.db, demo.tenant_id, "operator").await;
    let me = send(&app, get("/api/v1/auth/me", Some(&operator)))
        .await
        .json();
    assert_eq!(me["tenant"]["id"], demo.tenant_id);
    join(me["email"].as_str().unwrap().to_owned(), "viewer").await;
    let reply = send(&app, leave(demo.tenant_id, &operator)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["tenant"]["id"], other);
    assert_eq!(reply.json()["role"], "viewer");
    let me = send(&app, get("/api/v1/auth/me", Some(&operator)))
        .await
        .json();
    assert_eq!(me["tenant"]["id"], other);
    let tenants = send(&app, get("/api/v1/auth/tenants", Some(&operator)))
        .await
        .json();
    assert_eq!(tenants.as_array().unwrap().len(), 1, "{tenants}");
    assert_eq!(tenants[0]["tenant"]["id"], other);
    let req = Request::get("/api/v1/dashboard/summary")
        .header("authorization", format!("Bearer {operator}"))
        .header("x-tenant-id", demo.tenant_id.to_string())
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, req).await.status, StatusCode::FORBIDDEN);
    // Leaving again is refused (no membership), and so is leaving the last one.
    let reply = send(&app, leave(demo.tenant_id, &operator)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    let reply = send(&app, leave(other, &operator)).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());

    // Demo's admins see who left in their audit log.
    let log = send(&app, get("/api/v1/audit", Some(&admin))).await.json();
    let left = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "member_left")
        .expect("no member_left entry");
    assert_eq!(left["target"], me["email"]);
}

#[tokio::test]
async fn the_admin_pages_render_for_admins_and_explain_themselves_to_others() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let page = |path: &str, token: &str| {
        Request::get(path)
            .header(header::COOKIE, format!("rw_access={token}"))
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap()
    };
    let admin = login_token(&app).await;
    let viewer = token_for_role(&app, &t.db, demo.tenant_id, "viewer").await;
    // Each administration page: what an admin sees there, and what only an admin may see.
    let pages = [
        (
            "/admin",
            "data-testid=\"members\"",
            "data-testid=\"create-invitation\"",
        ),
        ("/admin/keys", "No API keys yet", "No API keys yet"),
        ("/admin/jobs", "realtime_sync", "realtime_sync"),
        ("/admin/audit", "<td>login</td>", "<td>login</td>"),
    ];
    for (path, expected, admins_only) in pages {
        let reply = send(&app, page(path, &admin)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let html = reply.text();
        assert!(html.contains(expected), "{path}: {expected} missing");
        // The tabs lead to every other page, the current one marked.
        for (href, _, _) in pages {
            assert!(
                html.contains(&format!("href=\"{href}\"")),
                "{path}: no tab {href}"
            );
        }
        assert!(
            html.contains(&format!(
                "href=\"{path}\" aria-current=\"page\" class=\"tab\""
            )),
            "{path} is not the current tab"
        );
        assert!(
            html.contains("<a href=\"/admin\" aria-current=\"page\">Administration</a>"),
            "{path}: Administration is not marked as the current page in the header"
        );

        let html = send(&app, page(path, &viewer)).await.text();
        assert!(
            html.contains("<p>not allowed</p>"),
            "{path}: a viewer is told why"
        );
        assert!(
            !html.contains(admins_only),
            "{path} shows a viewer {admins_only}"
        );
        assert!(
            !html.contains(">Administration</a>"),
            "no admin link for viewers"
        );
    }
}

//! The isolation matrix: every documented REST route and every registered server function
//! is called as a member of tenant A against tenant B — with B's `X-Tenant-ID` and with B's
//! resource ids — and no answer may carry B's data or change it. The lists come from the
//! router's own OpenAPI document and from the server-function registry, so a new route or
//! server function without a case here fails the test.

use crate::support::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use server::storage::entities::readings;
use server::storage::readings::{upsert, NewReading};
use shared::Metric;
use wire::server_fn_text;

mod wire;

const B_MARKER: &str = "Secret-B-logger";

struct World {
    app: axum::Router,
    db: DatabaseConnection,
    a_token: String,
    a_tenant: i64,
    b_tenant: i64,
    b_node: i64,
    b_district: i64,
    b_key: i64,
    b_incident: i64,
}

async fn world(t: &TestDb) -> World {
    let (state, demo) = state_with_demo(&t.db).await;
    let b_tenant = new_tenant(&t.db, "other").await;
    let nodes =
        format!("node_id,name,kind,lat,lon,district\nBX1,{B_MARKER},pressure,39.1,9.1,DMA-B\n");
    server::ingest::import_nodes(&t.db, b_tenant, nodes.as_bytes())
        .await
        .unwrap();
    let b_node = server::ingest::import::node_map(&t.db, b_tenant)
        .await
        .unwrap()["BX1"];
    let b_district = {
        use server::storage::entities::districts;
        districts::Entity::find()
            .filter(districts::Column::TenantId.eq(b_tenant))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let now = Utc::now();
    let rows: Vec<NewReading> = (0..48)
        .map(|i| NewReading {
            node_id: b_node,
            metric: Metric::Pressure,
            ts: now - Duration::minutes(30 * i),
            value: 7.777,
            quality: 0,
        })
        .collect();
    upsert(&t.db, b_tenant, &rows).await.unwrap();
    server::demo::feed::fill(&t.db, &demo, None, now)
        .await
        .unwrap();
    let b_key = {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        server::storage::entities::api_keys::ActiveModel {
            tenant_id: Set(b_tenant),
            name: Set(B_MARKER.into()),
            prefix: Set("rw_bbbbbbb".into()),
            key_hash: Set("b".repeat(64)),
            scopes: Set("read".into()),
            created_by: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap()
        .id
    };
    let b_incident = {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        server::storage::entities::incidents::ActiveModel {
            tenant_id: Set(b_tenant),
            uid: Set("leak:DMA-B@1".into()),
            dedupe_key: Set("leak:DMA-B".into()),
            kind: Set("leak".into()),
            severity: Set("critical".into()),
            status: Set("open".into()),
            district: Set(Some("DMA-B".into())),
            started_at: Set(now),
            detected_at: Set(now),
            last_seen_at: Set(now),
            ended_at: Set(None),
            score: Set(-7.777),
            affected: Set("[]".into()),
            explanation: Set(format!("{B_MARKER} is losing water")),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap()
        .id
    };
    {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        server::storage::entities::network_efficiency::ActiveModel {
            tenant_id: Set(b_tenant),
            district: Set(B_MARKER.into()),
            period: Set("day".into()),
            start: Set(now - Duration::days(1)),
            hours_covered: Set(24),
            input_m3: Set(7.777),
            metered_m3: Set(None),
            nrw_m3: Set(None),
            nrw_pct: Set(None),
            nrw_l_conn_day: Set(None),
            mnf_lps: Set(None),
            nnf_lps: Set(None),
            real_losses_m3: Set(None),
            uarl_m3: Set(None),
            ili: Set(None),
            avg_pressure_bar: Set(None),
            computed_at: Set(now),
        }
        .insert(&t.db)
        .await
        .unwrap();
    }
    let app = server::web::app(state);
    let a_token = login_token(&app).await;
    World {
        app,
        db: t.db.clone(),
        a_token,
        a_tenant: demo.tenant_id,
        b_tenant,
        b_node,
        b_district,
        b_key,
        b_incident,
    }
}

async fn b_rows(w: &World) -> u64 {
    readings::Entity::find()
        .filter(readings::Column::TenantId.eq(w.b_tenant))
        .count(&w.db)
        .await
        .unwrap()
}

async fn assert_b_incident_untouched(w: &World) {
    let b = server::storage::entities::incidents::Entity::find_by_id(w.b_incident)
        .one(&w.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.status, "open", "A changed B's incident");
    assert!(b.comment.is_none(), "A commented on B's incident");
}

/// Whether `text` holds the number `n` on its own (not inside a longer one such as a score of
/// 27.777…, which a time-dependent completeness figure can produce).
fn contains_number(text: &str, n: &str) -> bool {
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || c == '.');
    text.match_indices(n).any(|(i, _)| {
        !digit(text[..i].chars().next_back()) && !digit(text[i + n.len()..].chars().next())
    })
}

#[test]
fn numbers_are_matched_whole() {
    assert!(contains_number("{\"value\":7.777}", "7.777"));
    assert!(contains_number("[-7.777,1]", "7.777"));
    assert!(!contains_number("{\"score\":27.777777}", "7.777"));
    assert!(!contains_number("17.7771", "7.777"));
}

fn assert_clean(what: &str, reply: &Reply) {
    assert_clean_text(what, &reply.text());
}

fn assert_clean_text(what: &str, text: &str) {
    assert!(
        !text.contains(B_MARKER),
        "{what} leaked B's node name: {text}"
    );
    assert!(
        !contains_number(text, "7.777"),
        "{what} leaked B's readings: {text}"
    );
    assert!(
        !text.contains("\"other\""),
        "{what} leaked B's slug: {text}"
    );
}

/// A request body for each documented operation (None: no body).
fn rest_body(method: &Method, path: &str, b_node: i64) -> Option<(&'static str, String)> {
    match (method.as_str(), path) {
        ("POST", "/api/v1/readings") => Some((
            "application/json",
            format!(
                r#"[{{"node_id":"{b_node}","metric":"pressure","timestamp":"2026-01-01T00:00:00Z","value":1}}]"#
            ),
        )),
        ("POST", "/api/v1/nodes") => Some((
            "text/csv",
            "node_id,name,kind\nBX1,hijack,pressure\n".into(),
        )),
        ("POST", "/api/v1/auth/logout") => None,
        ("POST", "/api/v1/api-keys") => Some((
            "application/json",
            r#"{"name":"probe","scopes":["read"]}"#.to_owned(),
        )),
        ("DELETE", "/api/v1/api-keys/{id}") => None,
        ("POST", "/api/v1/jobs/{name}/run") => None,
        ("POST", "/api/v1/anomalies/{id}/acknowledge") => None,
        ("POST", "/api/v1/anomalies/{id}/resolve") => {
            Some(("application/json", r#"{"comment":"probe"}"#.to_owned()))
        }
        ("PATCH", "/api/v1/members/{id}") => {
            Some(("application/json", r#"{"role":"viewer"}"#.to_owned()))
        }
        ("DELETE", "/api/v1/members/{id}") => None,
        ("DELETE", "/api/v1/auth/tenants/{id}") => None,
        ("POST", "/api/v1/auth/join") => {
            Some(("application/json", r#"{"code":"not-a-code"}"#.to_owned()))
        }
        ("POST", "/api/v1/invitations") => {
            Some(("application/json", r#"{"role":"admin"}"#.to_owned()))
        }
        ("GET", _) => None,
        other => panic!("no isolation case for {other:?}: add one"),
    }
}

#[tokio::test]
async fn no_rest_route_answers_with_another_tenants_data() {
    let t = TestDb::sqlite().await;
    let w = world(&t).await;
    let before = b_rows(&w).await;
    let (_, doc) = server::api::documented(1 << 20, 1 << 20).split_for_parts();
    let mut checked = 0;
    for (path, item) in doc.paths.paths.iter() {
        let ops: Vec<(Method, _)> = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
        ]
        .into_iter()
        .filter_map(|(m, op)| op.as_ref().map(|_| (m, ())))
        .collect();
        for (method, ()) in ops {
            if path == "/api/v1/auth/login"
                || path == "/api/v1/auth/register"
                || path == "/api/v1/auth/refresh"
            {
                continue; // public by design: they take credentials, not a tenant
            }
            let b_id = if path.contains("auth/tenants") {
                w.b_tenant // leaving B: A is no member there
            } else if path.contains("api-keys") {
                w.b_key
            } else if path.contains("anomalies") {
                w.b_incident
            } else if path.contains("members") {
                999_999 // a user outside A's tenant (the server-function case uses B's admin)
            } else {
                w.b_node
            };
            let uri = format!(
                "{}{}",
                path.replace("{id}", &b_id.to_string())
                    .replace("{node_id}", &w.b_node.to_string())
                    .replace("{district_id}", &w.b_district.to_string())
                    .replace("{metric}", "pressure")
                    .replace("{name}", "data_quality"),
                if path.contains("readings") && method == Method::GET {
                    "?metric=pressure"
                } else if path.contains("efficiency") {
                    "?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&district=Secret-B-logger"
                } else {
                    ""
                }
            );
            for tenant_header in [Some("other".to_owned()), Some(w.b_tenant.to_string()), None] {
                if method == Method::POST && path == "/api/v1/auth/logout" {
                    continue; // checked separately below: it would end A's session
                }
                if path == "/api/v1/events" && tenant_header.is_none() {
                    continue; // A's own endless stream: scoped by the live events test
                }
                let mut req = Request::builder()
                    .method(method.clone())
                    .uri(&uri)
                    .header("authorization", format!("Bearer {}", w.a_token));
                if let Some(h) = &tenant_header {
                    req = req.header("x-tenant-id", h);
                }
                let body = rest_body(&method, path, w.b_node);
                if let Some((ct, _)) = &body {
                    req = req.header("content-type", *ct);
                }
                let reply = send(
                    &w.app,
                    req.body(body.map_or(Body::empty(), |(_, b)| Body::from(b)))
                        .unwrap(),
                )
                .await;
                let what = format!("{method} {uri} (X-Tenant-ID {tenant_header:?})");
                if tenant_header.is_some() || path == "/api/v1/auth/tenants/{id}" {
                    // Leaving B, which A does not belong to, is refused as well.
                    assert_eq!(
                        reply.status,
                        StatusCode::FORBIDDEN,
                        "{what}: {}",
                        reply.text()
                    );
                }
                assert_clean(&what, &reply);
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} calls made");
    assert_eq!(b_rows(&w).await, before, "B's readings changed");
    let b_key = server::storage::entities::api_keys::Entity::find_by_id(w.b_key)
        .one(&w.db)
        .await
        .unwrap()
        .unwrap();
    assert!(b_key.revoked_at.is_none(), "A revoked B's API key");
    assert_b_incident_untouched(&w).await;
    // Logout with B's tenant header is refused too, and A's session survives it.
    let req = Request::post("/api/v1/auth/logout")
        .header("authorization", format!("Bearer {}", w.a_token))
        .header("x-tenant-id", "other")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&w.app, req).await.status, StatusCode::FORBIDDEN);
    let me = send(&w.app, get("/api/v1/auth/me", Some(&w.a_token))).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["tenant"]["slug"], "demo");
}

#[tokio::test]
async fn no_server_function_answers_with_another_tenants_data() {
    use server_fn::ServerFn;
    let t = TestDb::sqlite().await;
    let w = world(&t).await;
    let cookie = format!("rw_access={}", w.a_token);
    let b = w.b_node;
    let now = Utc::now();
    let series_body = format!(
        "query[node_id]={b}&query[metric]=pressure&query[from]={}&query[to]={}",
        (now - Duration::days(1)).to_rfc3339().replace('+', "%2B"),
        now.to_rfc3339().replace('+', "%2B"),
    );
    // A member of B only, whom A's admin must not be able to touch.
    token_for_role(&w.app, &w.db, w.b_tenant, "admin").await;
    let b_user = server::storage::entities::memberships::Entity::find()
        .filter(server::storage::entities::memberships::Column::TenantId.eq(w.b_tenant))
        .one(&w.db)
        .await
        .unwrap()
        .unwrap()
        .user_id;
    use app::server_fns::admin;
    use app::server_fns::anomalies;
    let not_found = [
        app::server_fns::series::GetForecast::PATH,
        app::server_fns::series::GetDistrictForecast::PATH,
        app::server_fns::series::GetDistrictChart::PATH,
        app::server_fns::series::GetNodeChart::PATH,
        anomalies::GetIncident::PATH,
        anomalies::ActOnIncident::PATH,
        admin::SetMemberRole::PATH,
        admin::RemoveMember::PATH,
        admin::RevokeApiKey::PATH,
    ];
    let mut checked = 0;
    for (path, method) in server_fn::axum::server_fn_paths() {
        let body = match path {
            p if p == admin::ListMembers::PATH => String::new(),
            p if p == admin::SetMemberRole::PATH => format!("user_id={b_user}&role=viewer"),
            p if p == admin::RemoveMember::PATH => format!("user_id={b_user}"),
            p if p == admin::CreateInvitation::PATH => "role=viewer".into(),
            p if p == admin::ListApiKeys::PATH => String::new(),
            p if p == admin::CreateApiKey::PATH => "name=probe&read=true&ingest=false".into(),
            p if p == admin::RevokeApiKey::PATH => format!("id={}", w.b_key),
            p if p == admin::ListJobs::PATH => String::new(),
            p if p == admin::RunJob::PATH => "name=data_quality".into(),
            p if p == admin::ReadAuditLog::PATH => String::new(),
            p if p == app::server_fns::monitoring::GetDataQuality::PATH => String::new(),
            p if p == anomalies::ListIncidents::PATH => "filter[limit]=50".into(),
            p if p == app::server_fns::series::GetForecast::PATH => {
                format!("node_id={b}&metric=pressure&horizon=24")
            }
            p if p == app::server_fns::series::GetDistrictForecast::PATH => {
                format!("district_id={}&horizon=24", w.b_district)
            }
            p if p == app::server_fns::series::GetDistrictChart::PATH => {
                format!("district_id={}", w.b_district)
            }
            p if p == app::server_fns::network::GetEfficiency::PATH => format!(
                "query[from]={}&query[to]={}&query[period]=day",
                (now - Duration::days(7)).to_rfc3339().replace('+', "%2B"),
                now.to_rfc3339().replace('+', "%2B"),
            ),
            p if p == anomalies::GetIncident::PATH => format!("id={}", w.b_incident),
            p if p == anomalies::ActOnIncident::PATH => {
                format!("id={}&action=resolve&comment=probe", w.b_incident)
            }
            p if p == app::server_fns::monitoring::JobStatus::PATH => String::new(),
            p if p == app::server_fns::auth::Login::PATH => continue, // public: credentials
            p if p == app::server_fns::auth::Register::PATH => continue, // public: new account
            p if p == app::server_fns::auth::Logout::PATH => continue, // ends A's own session only
            p if p == app::server_fns::auth::CurrentUser::PATH => String::new(),
            p if p == app::server_fns::auth::JoinTenant::PATH => "code=not-a-code".into(),
            p if p == app::server_fns::dashboard::GetSummary::PATH => String::new(),
            p if p == app::server_fns::dashboard::ListDistricts::PATH => String::new(),
            p if p == app::server_fns::dashboard::GetPeriod::PATH => "range=7d".into(),
            p if p == app::server_fns::dashboard::GetOverview::PATH => "range=30d".into(),
            p if p == app::server_fns::diagnostics::GetDiagnostics::PATH => String::new(),
            p if p == app::server_fns::series::GetSeries::PATH => series_body.clone(),
            p if p == app::server_fns::series::GetNodeChart::PATH => {
                format!("{series_body}&forecast_hours=24")
            }
            p if p == app::server_fns::auth::ListTenants::PATH => String::new(),
            p if p == app::server_fns::auth::SwitchTenant::PATH => {
                format!("tenant_id={}", w.b_tenant)
            }
            p if p == app::server_fns::auth::LeaveTenant::PATH => {
                format!("tenant_id={}", w.b_tenant)
            }
            other => panic!("no isolation case for server function {other}: add one"),
        };
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Body::from(body))
            .unwrap();
        let reply = send(&w.app, req).await;
        assert_clean_text(path, &server_fn_text(path, &reply));
        if path == app::server_fns::series::GetSeries::PATH || not_found.contains(&path) {
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{path}: {}",
                reply.text()
            );
        } else if path == app::server_fns::auth::SwitchTenant::PATH
            || path == app::server_fns::auth::LeaveTenant::PATH
        {
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
        } else if path == app::server_fns::auth::JoinTenant::PATH {
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                reply.text()
            );
        } else {
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
        }
        checked += 1;
    }
    assert_eq!(checked, 31);
    assert_b_incident_untouched(&w).await;
    // B's member and key are untouched.
    let still = server::storage::entities::memberships::Entity::find()
        .filter(server::storage::entities::memberships::Column::UserId.eq(b_user))
        .one(&w.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.role, "admin");
    // The refused switch left A in its own tenant.
    let me = send(&w.app, get("/api/v1/auth/me", Some(&w.a_token))).await;
    assert_eq!(me.json()["tenant"]["slug"], "demo");
}

#[tokio::test]
async fn a_member_of_two_tenants_switches_with_the_header_and_sees_the_data_change() {
    let t = TestDb::sqlite().await;
    let w = world(&t).await;
    // A's admin becomes a viewer of B.
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let user = server::storage::entities::users::Entity::find()
        .filter(server::storage::entities::users::Column::Email.eq(DEMO_EMAIL))
        .one(&w.db)
        .await
        .unwrap()
        .unwrap();
    server::storage::entities::memberships::ActiveModel {
        user_id: Set(user.id),
        tenant_id: Set(w.b_tenant),
        role: Set("viewer".into()),
        created_at: Set(Utc::now()),
    }
    .insert(&w.db)
    .await
    .unwrap();
    let tenants = send(&w.app, get("/api/v1/auth/tenants", Some(&w.a_token)))
        .await
        .json();
    let slugs: Vec<&str> = tenants
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["tenant"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["demo", "other"]);
    let req = Request::get("/api/v1/dashboard/summary")
        .header("authorization", format!("Bearer {}", w.a_token))
        .header("x-tenant-id", "other")
        .body(Body::empty())
        .unwrap();
    let reply = send(&w.app, req).await;
    assert_eq!(reply.status, StatusCode::OK);
    let summary = reply.json();
    assert_eq!(summary["tenant"], "other");
    assert_eq!(summary["nodes"][0]["name"], B_MARKER);
    let req = Request::get("/api/v1/tenants/current")
        .header("authorization", format!("Bearer {}", w.a_token))
        .header("x-tenant-id", "other")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&w.app, req).await.json()["role"], "viewer");
    // Without the header A still acts in its own tenant.
    let own = send(&w.app, get("/api/v1/dashboard/summary", Some(&w.a_token)))
        .await
        .json();
    assert_eq!(own["tenant"], "demo");
}

#[tokio::test]
async fn logins_are_audited_and_only_admins_read_the_log() {
    let t = TestDb::sqlite().await;
    let w = world(&t).await;
    let wrong = post_json(
        "/api/v1/auth/login",
        &serde_json::json!({"email": DEMO_EMAIL, "password": "nope-nope-nope"}),
    );
    assert_eq!(send(&w.app, wrong).await.status, StatusCode::UNAUTHORIZED);
    let log = send(&w.app, get("/api/v1/audit", Some(&w.a_token))).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text());
    let actions: Vec<String> = log
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["login_failed", "login"]);
    let viewer = token_for_role(&w.app, &w.db, w.a_tenant, "viewer").await;
    assert_eq!(
        send(&w.app, get("/api/v1/audit", Some(&viewer)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

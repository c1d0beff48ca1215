//! Server-side rendering and server functions through the real router: the protected
//! dashboard, the login server function and its cookie.

use crate::support::*;
use app::server_fns::auth::Login;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Utc;
use server_fn::ServerFn;

fn login_form(password: &str) -> Request<Body> {
    let body = format!(
        "email={}&password={}&next=%2F",
        DEMO_EMAIL.replace('@', "%40"),
        password
    );
    Request::post(Login::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("host", "127.0.0.1:3000")
        .header("origin", "http://127.0.0.1:3000")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_with_the_page_they_wanted() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    // Every signed-in page, whichever of its server calls (refused: 401) finishes first.
    for path in [
        "/",
        "/enhanced-overview",
        "/monitoring",
        "/anomalies",
        "/anomalies/1",
        "/nodes/1",
        "/admin",
        "/admin/keys",
        "/admin/jobs",
        "/admin/audit",
        "/account",
        "/test",
    ] {
        let browser = Request::get(path)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .body(Body::empty())
            .unwrap();
        let reply = send(&app, browser).await;
        assert_eq!(reply.status, StatusCode::FOUND, "{path}: {}", reply.text());
        assert_eq!(
            reply.headers[header::LOCATION],
            format!("/auth/login?next={path}").as_str(),
            "{path}"
        );
        // The redirect's body may carry the page's empty frame (the page renders beside the
        // header, not inside it), never the tenant's data: its server calls refuse anonymous
        // callers.
        for data in [
            "Roccavina Demo",
            "Inlet meter",
            "F01",
            "node-table",
            "realtime_sync",
        ] {
            assert!(
                !reply.text().contains(data),
                "{path}: protected content leaked: {data}"
            );
        }
    }

    let reply = send(&app, get("/auth/login", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.text();
    assert!(html.contains("name=\"password\""), "{html}");
    assert!(
        html.contains("/pkg/roccavina.js"),
        "hydration script missing"
    );
}

#[tokio::test]
async fn login_server_fn_sets_a_safe_cookie_and_unlocks_the_dashboard() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    fill_demo(&t.db, &demo, Utc::now()).await;
    let app = server::web::app(state);

    let reply = send(&app, login_form("wrong-password")).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "a wrong password is not a server fault"
    );
    let err: shared::AppError = reply.wire();
    assert_eq!(err, shared::AppError::InvalidCredentials);
    assert!(!reply.headers.contains_key(header::SET_COOKIE));

    let reply = send(&app, login_form(DEMO_PASSWORD)).await;
    let cookies: Vec<String> = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for (cookie, name) in cookies.iter().zip(["rw_access=", "rw_refresh="]) {
        for attr in [name, "HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(cookie.contains(attr), "{attr} missing from {cookie}");
        }
    }
    let session = cookies[0].split(';').next().unwrap().to_owned();

    let page = Request::get("/")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, page).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    for expected in [
        "Network overview",
        "Inlet meter — Castello",
        "Tank San Michele",
        "Demo administrator",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
}

#[tokio::test]
async fn cross_site_login_posts_are_refused() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let mut req = login_form(DEMO_PASSWORD);
    req.headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    let reply = send(&app, req).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let err: shared::AppError = reply.wire();
    assert_eq!(err, shared::AppError::Forbidden);
    assert!(!reply.headers.contains_key(header::SET_COOKIE));
}

#[tokio::test]
async fn an_incident_page_charts_its_sensors_around_the_event() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let now = Utc::now();
    fill_demo(&t.db, &demo, now).await;
    let started = now - chrono::Duration::hours(3);
    let id = insert_leak(&t.db, demo.tenant_id, "P01", started, now).await;
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let page = |path: String| {
        Request::get(path)
            .header(header::COOKIE, format!("rw_access={token}"))
            .body(Body::empty())
            .unwrap()
    };
    let reply = send(&app, page(format!("/anomalies/{id}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains(&format!("#{id} Leak")), "title missing");
    assert!(
        html.contains("pressure at P01 dropped"),
        "explanation missing"
    );
    assert!(html.contains("Usually 3.100 at that time of day; read 2.400."));
    // One chart, for P01's pressure, with the incident shaded and the stored readings drawn
    // (the SVG fallback is rendered with it for the first paint).
    assert_eq!(html.matches("data-testid=\"incident-sensor\"").count(), 1);
    assert_eq!(html.matches("class=\"echart\"").count(), 1);
    assert!(
        html.contains("markArea"),
        "incident not marked on the chart"
    );
    assert!(
        html.contains("data-testid=\"history-line\""),
        "no server-rendered history"
    );
    // An admin may acknowledge or resolve with a comment; a viewer sees no such form.
    assert!(html.contains("data-testid=\"incident-actions\""));
    let viewer = token_for_role(&app, &t.db, demo.tenant_id, "viewer").await;
    let reply = send(
        &app,
        Request::get(format!("/anomalies/{id}"))
            .header(header::COOKIE, format!("rw_access={viewer}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains(&format!("#{id} Leak")));
    assert!(!reply.text().contains("data-testid=\"incident-actions\""));
    // Another tenant's or a missing incident: not found, nothing drawn.
    let reply = send(&app, page("/anomalies/999999".into())).await;
    assert!(!reply.text().contains("class=\"echart\""));
    assert!(reply.text().contains("not found") || reply.text().contains("Not found"));
}

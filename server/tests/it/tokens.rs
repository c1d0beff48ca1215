//! Access tokens (JWT) and refresh tokens: rotation, reuse detection, forgery, key rotation,
//! and the browser's transparent refresh.

use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const K1: &str = "k1:first-secret-with-more-than-32-bytes-in-it";
const K2: &str = "k2:second-secret-with-more-than-32-bytes-in-it";

async fn app_with(db: &sea_orm::DatabaseConnection, keys: Option<&str>, grace: i64) -> Router {
    app_on(db, keys, grace, None).await
}

/// Like [`app_with`], with sessions in Redis at `redis` (as with `REDIS_URL`).
async fn app_on(
    db: &sea_orm::DatabaseConnection,
    keys: Option<&str>,
    grace: i64,
    redis: Option<String>,
) -> Router {
    let keys = keys.map(str::to_owned);
    let (state, _) = state_with_config(db, move |c| {
        c.jwt_keys = keys;
        c.refresh_reuse_grace_secs = grace;
        c.redis_url = redis;
    })
    .await;
    server::web::app(state)
}

/// Both session stores: the database (embedded default) and Redis.
fn session_stores() -> [Option<String>; 2] {
    [None, Some(redis_url())]
}

async fn login(app: &Router) -> Value {
    let reply = send(
        app,
        post_json(
            "/api/v1/auth/login",
            &json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD}),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

async fn refresh(app: &Router, token: &str) -> (StatusCode, Value) {
    let reply = send(
        app,
        post_json("/api/v1/auth/refresh", &json!({"refresh_token": token})),
    )
    .await;
    let body = if reply.status == StatusCode::OK {
        reply.json()
    } else {
        Value::Null
    };
    (reply.status, body)
}

async fn logout(app: &Router, access: &str) -> StatusCode {
    let req = Request::post("/api/v1/auth/logout")
        .header("authorization", format!("Bearer {access}"))
        .body(Body::empty())
        .unwrap();
    send(app, req).await.status
}

async fn me_status(app: &Router, access: &str) -> StatusCode {
    send(app, get("/api/v1/auth/me", Some(access))).await.status
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap().to_owned()
}

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_ends_the_session() {
    for store in session_stores() {
        refresh_rotates_on(store).await;
    }
}

async fn refresh_rotates_on(store: Option<String>) {
    let t = TestDb::sqlite().await;
    let app = app_on(&t.db, None, 0, store).await;
    let first = login(&app).await;
    assert_eq!(first["expires_in"], 900);
    let claims = payload(&s(&first, "access_token"));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(claims["aud"], "roccavina-api");
    assert_eq!(
        me_status(&app, &s(&first, "access_token")).await,
        StatusCode::OK
    );

    let (status, second) = refresh(&app, &s(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(s(&second, "refresh_token"), s(&first, "refresh_token"));
    assert_eq!(payload(&s(&second, "access_token"))["sid"], claims["sid"]);
    assert_eq!(
        me_status(&app, &s(&second, "access_token")).await,
        StatusCode::OK
    );

    // The first refresh token again: theft assumed, the whole family ends.
    let (status, _) = refresh(&app, &s(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh(&app, &s(&second, "refresh_token")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the newer token is revoked too"
    );
    for access in [s(&first, "access_token"), s(&second, "access_token")] {
        assert_eq!(me_status(&app, &access).await, StatusCode::UNAUTHORIZED);
    }
    let admin = s(&login(&app).await, "access_token");
    let log = send(&app, get("/api/v1/audit", Some(&admin))).await.json();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"refresh_token_reused"), "{actions:?}");
    assert_eq!(
        refresh(&app, "not-a-token").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn parallel_refreshes_within_the_grace_period_keep_the_session() {
    for store in session_stores() {
        parallel_refreshes_on(store).await;
    }
}

async fn parallel_refreshes_on(store: Option<String>) {
    let t = TestDb::sqlite().await;
    let app = app_on(&t.db, None, 30, store).await;
    let first = login(&app).await;
    let (a, one) = refresh(&app, &s(&first, "refresh_token")).await;
    let (b, two) = refresh(&app, &s(&first, "refresh_token")).await;
    assert_eq!((a, b), (StatusCode::OK, StatusCode::OK));
    assert_ne!(s(&one, "refresh_token"), s(&two, "refresh_token"));
    assert_eq!(
        me_status(&app, &s(&one, "access_token")).await,
        StatusCode::OK
    );
    assert_eq!(
        me_status(&app, &s(&two, "access_token")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_ends_every_token_of_the_session() {
    for store in session_stores() {
        signing_out_on(store).await;
    }
}

async fn signing_out_on(store: Option<String>) {
    let t = TestDb::sqlite().await;
    let app = app_on(&t.db, None, 0, store).await;
    let first = login(&app).await;
    let other = login(&app).await;
    assert_eq!(
        logout(&app, &s(&first, "access_token")).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        me_status(&app, &s(&first, "access_token")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &s(&first, "refresh_token")).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Another session of the same person is untouched.
    assert_eq!(
        me_status(&app, &s(&other, "access_token")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn expired_forged_and_foreign_tokens_are_refused() {
    let t = TestDb::sqlite().await;
    let app = app_with(&t.db, Some(K1), 0).await;
    let good = s(&login(&app).await, "access_token");
    assert_eq!(me_status(&app, &good).await, StatusCode::OK);
    let claims = payload(&good);
    let (kid, secret) = K1.split_once(':').unwrap();
    let sign = |claims: &Value, kid: &str, secret: &str| {
        let header = Header {
            alg: Algorithm::HS256,
            kid: Some(kid.into()),
            ..Header::default()
        };
        encode(
            &header,
            claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    // Re-signing the genuine claims with the genuine key is accepted (the test is sound)…
    assert_eq!(
        me_status(&app, &sign(&claims, kid, secret)).await,
        StatusCode::OK
    );
    let now = chrono::Utc::now().timestamp();
    let mut expired = claims.clone();
    expired["iat"] = json!(now - 3_600);
    expired["exp"] = json!(now - 1_800);
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("another-service");
    let mut other_user = claims.clone();
    other_user["sub"] = json!("999");
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(other_user.to_string());
        parts.join(".")
    };
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    for (what, token) in [
        ("expired", sign(&expired, kid, secret)),
        ("wrong audience", sign(&wrong_aud, kid, secret)),
        (
            "wrong key",
            sign(&claims, kid, "an-attackers-secret-of-32-bytes-or-more"),
        ),
        ("unknown key id", sign(&claims, "k9", secret)),
        ("tampered payload", tampered),
        ("alg none", unsigned),
    ] {
        assert_eq!(
            me_status(&app, &token).await,
            StatusCode::UNAUTHORIZED,
            "{what}"
        );
    }
}

#[tokio::test]
async fn keys_rotate_without_signing_anyone_out() {
    let t = TestDb::sqlite().await;
    let old_app = app_with(&t.db, Some(K1), 0).await;
    let old = s(&login(&old_app).await, "access_token");
    // New key first, old key still listed: old tokens work, new ones use the new key.
    let rotated = app_with(&t.db, Some(&format!("{K2},{K1}")), 0).await;
    assert_eq!(me_status(&rotated, &old).await, StatusCode::OK);
    let new = s(&login(&rotated).await, "access_token");
    let kid = jsonwebtoken::decode_header(&new).unwrap().kid;
    assert_eq!(kid.as_deref(), Some("k2"));
    // Old key removed: its tokens stop working, the new key's go on.
    let done = app_with(&t.db, Some(K2), 0).await;
    assert_eq!(me_status(&done, &old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&done, &new).await, StatusCode::OK);
}

#[tokio::test]
async fn the_browser_is_refreshed_transparently_and_a_dead_session_is_cleared() {
    let t = TestDb::sqlite().await;
    let app = app_with(&t.db, None, 0).await;
    let tokens = login(&app).await;
    let page = |cookie: String| {
        Request::get("/")
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap()
    };
    // Only the refresh cookie (the access cookie expired): the page is served signed in and
    // both cookies are renewed.
    let reply = send(
        &app,
        page(format!("rw_refresh={}", s(&tokens, "refresh_token"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.text().contains("Demo administrator"));
    let set: Vec<String> = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(set.iter().any(|c| c.starts_with("rw_access=ey")), "{set:?}");
    assert!(
        set.iter()
            .any(|c| c.starts_with("rw_refresh=") && !c.starts_with("rw_refresh=;")),
        "{set:?}"
    );
    // The used refresh token again (a stolen copy): refused, cookies cleared, login page.
    let reply = send(
        &app,
        page(format!(
            "rw_access=garbage; rw_refresh={}",
            s(&tokens, "refresh_token")
        )),
    )
    .await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    let set: Vec<String> = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(set
        .iter()
        .any(|c| c.starts_with("rw_access=;") && c.contains("Max-Age=0")));
    assert!(set
        .iter()
        .any(|c| c.starts_with("rw_refresh=;") && c.contains("Max-Age=0")));
}

#[tokio::test]
async fn with_redis_configured_sessions_live_in_redis_and_expire_with_the_session() {
    use redis::AsyncCommands;
    let t = TestDb::sqlite().await;
    let app = app_on(&t.db, None, 0, Some(redis_url())).await;
    let first = login(&app).await;
    let sid = payload(&s(&first, "access_token"))["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut redis = redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = format!("auth:session:{sid}");
    let ttl: i64 = redis.ttl(&key).await.unwrap();
    let lifetime = first["refresh_expires_in"].as_i64().unwrap();
    assert!(
        (lifetime - 5..=lifetime + 1).contains(&ttl),
        "session key expires with the session: ttl {ttl}, session {lifetime}"
    );
    let tokens: Vec<String> = redis.smembers(format!("{key}:tokens")).await.unwrap();
    assert_eq!(tokens.len(), 1);
    let refresh_key = format!("auth:refresh:{}", tokens[0]);
    let stored_sid: String = redis.hget(&refresh_key, "sid").await.unwrap();
    assert_eq!(stored_sid, sid);
    // Nothing in the database's session tables.
    use sea_orm::{EntityTrait, PaginatorTrait};
    use server::storage::entities::{refresh_tokens, sessions};
    assert_eq!(sessions::Entity::find().count(&t.db).await.unwrap(), 0);
    assert_eq!(
        refresh_tokens::Entity::find().count(&t.db).await.unwrap(),
        0
    );

    // Signing out removes the session and every token of its family from Redis.
    let (status, _) = refresh(&app, &s(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        logout(&app, &s(&first, "access_token")).await,
        StatusCode::NO_CONTENT
    );
    let left: i64 = redis
        .exists(&[key.clone(), format!("{key}:tokens"), refresh_key])
        .await
        .unwrap();
    assert_eq!(left, 0, "session keys left after logout");
}

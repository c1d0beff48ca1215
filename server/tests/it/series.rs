//! Series queries: resolution from the span, point budget, statistics, tenant walls.

use crate::support::*;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use server::demo::feed;
use server::storage::entities::{nodes, tenants};
use server::storage::readings::upsert;
use shared::Metric;

#[tokio::test]
async fn series_pick_their_resolution_and_keep_the_range_statistics() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let now = Utc::now();
    let rows = feed::readings_between(&demo, now - Duration::days(40), now);
    upsert(&t.db, demo.tenant_id, &rows).await.unwrap();
    server::storage::rollups::refresh(&t.db).await.unwrap();
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let p01 = demo.node_ids["P01"];

    let from = now - Duration::hours(24);
    let uri = format!(
        "/api/v1/nodes/{p01}/readings?metric=pressure&from={}&to={}&max_points=100",
        from.to_rfc3339().replace('+', "%2B"),
        now.to_rfc3339().replace('+', "%2B")
    );
    let reply = send(&app, get(&uri, Some(&token))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let s = reply.json();
    assert_eq!(s["resolution"], "raw");
    assert_eq!(s["unit"], "bar");
    assert_eq!(s["points"].as_array().unwrap().len(), 100);
    let day: Vec<f64> = rows
        .iter()
        .filter(|r| r.node_id == p01 && r.metric == Metric::Pressure && r.ts >= from && r.ts < now)
        .map(|r| r.value)
        .collect();
    assert_eq!(s["source_points"], day.len());
    assert_eq!(s["stats"]["count"], day.len());
    let max = day.iter().cloned().fold(f64::MIN, f64::max);
    assert_eq!(s["stats"]["max"].as_f64().unwrap(), max);
    let mean = day.iter().sum::<f64>() / day.len() as f64;
    assert!((s["stats"]["mean"].as_f64().unwrap() - mean).abs() < 1e-9);

    let uri = format!(
        "/api/v1/nodes/{p01}/readings?metric=pressure&from={}",
        (now - Duration::days(30)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let s = send(&app, get(&uri, Some(&token))).await.json();
    assert_eq!(s["resolution"], "hourly");
    let points = s["points"].as_array().unwrap();
    assert!(
        points.len() >= 700 && points.len() <= 721,
        "{}",
        points.len()
    );
    assert!(points[0]["min"].as_f64().unwrap() <= points[0]["value"].as_f64().unwrap());

    let bad = send(
        &app,
        get(
            &format!("/api/v1/nodes/{p01}/readings?metric=colour"),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "metric");
    let bad = send(
        &app,
        get(&format!("/api/v1/nodes/{p01}/readings"), Some(&token)),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn another_tenants_node_is_not_found() {
    let t = TestDb::sqlite().await;
    let (state, _) = state_with_demo(&t.db).await;
    let other = tenants::ActiveModel {
        slug: Set("other".into()),
        name: Set("Other utility".into()),
        time_zone: Set("Europe/Rome".into()),
        raw_retention_days: Set(90),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .unwrap();
    let node = nodes::ActiveModel {
        tenant_id: Set(other.id),
        external_id: Set("SECRET".into()),
        name: Set("Other's logger".into()),
        kind: Set("pressure".into()),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .unwrap();
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let reply = send(
        &app,
        get(
            &format!("/api/v1/nodes/{}/readings?metric=pressure", node.id),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(!reply.text().contains("SECRET"));
    let reply = send(
        &app,
        get("/api/v1/nodes/abc/readings?metric=pressure", Some(&token)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

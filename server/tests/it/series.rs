//! Series queries: resolution from the span, point budget, statistics, tenant walls.

use crate::support::*;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
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

#[tokio::test]
async fn the_node_chart_draws_the_stored_series_in_the_tenant_zone_with_its_incidents() {
    use axum::body::Body;
    use axum::http::Request;
    use server_fn::ServerFn;
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let now = Utc::now();
    let rows = feed::readings_between(&demo, now - Duration::days(2), now);
    upsert(&t.db, demo.tenant_id, &rows).await.unwrap();
    let p01 = demo.node_ids["P01"];
    let zone = "America/New_York";
    let mut tenant: tenants::ActiveModel = tenants::Entity::find_by_id(demo.tenant_id)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    tenant.time_zone = Set(zone.into());
    tenant.update(&t.db).await.unwrap();
    let started = now - Duration::hours(5);
    let incident = insert_leak(&t.db, demo.tenant_id, "P01", started, now).await;
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let from = now - Duration::hours(24);
    let enc = |d: chrono::DateTime<Utc>| d.to_rfc3339().replace('+', "%2B");
    let body = format!(
        "query[node_id]={p01}&query[metric]=pressure&query[from]={}&query[to]={}&query[max_points]=50&forecast_hours=0",
        enc(from),
        enc(now)
    );
    let reply = send(
        &app,
        Request::post(app::server_fns::series::GetNodeChart::PATH)
            .header("cookie", format!("rw_access={token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let chart: shared::series::NodeChart = reply.wire();
    assert_eq!(chart.series.time_zone, zone);
    assert_eq!(chart.series.points.len(), 50);
    assert_eq!(chart.incidents.len(), 1);
    assert_eq!(chart.incidents[0].id, incident);
    let option: serde_json::Value = serde_json::from_str(&chart.option).unwrap();
    let data = option["series"][0]["data"].as_array().unwrap();
    assert_eq!(data.len(), chart.series.points.len());
    // Each point: the stored value, at New York wall-clock time (UTC−5 or −4).
    let tz: chrono_tz::Tz = zone.parse().unwrap();
    for (d, p) in data.iter().zip(&chart.series.points) {
        use chrono::{Offset, TimeZone};
        let offset = tz
            .offset_from_utc_datetime(&p.ts.naive_utc())
            .fix()
            .local_minus_utc();
        assert!(offset == -5 * 3600 || offset == -4 * 3600);
        assert_eq!(
            d[0].as_f64().unwrap() as i64,
            (p.ts.timestamp() + i64::from(offset)) * 1000
        );
        assert!(
            (d[1].as_f64().unwrap() - p.value).abs() <= 0.00005,
            "{d} vs {}",
            p.value
        );
    }
    let area = &option["series"][0]["markArea"]["data"][0];
    assert_eq!(area[0]["name"], format!("#{incident} Leak"));
    assert!(option["xAxis"].to_string().contains("America/New_York"));
}

//! Network efficiency from stored readings, on both engines, against figures worked out by hand.

use crate::support::*;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use server::storage::entities::{districts, network_efficiency as ne};
use server::storage::readings::{upsert, NewReading};
use shared::Metric;

/// Local midnight of 2026-01-14 in Europe/Rome (UTC+1).
fn day_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 13, 23, 0, 0).unwrap()
}

/// One district: inlet F1 at 20 L/s (10 L/s 02:00-04:00), meter M1 at 15 L/s, logger P1 at
/// 4 bar (5 bar at night); 10 km of mains, 500 connections, 2 km of customer pipes, 4 bar.
async fn seed(db: &DatabaseConnection) -> i64 {
    let tenant = new_tenant(db, "balance").await;
    let nodes = "node_id,name,kind,lat,lon,district\nF1,Inlet,flow,39.2,9.1,D1\nM1,Bulk meter,meter,39.2,9.1,D1\nP1,Logger,pressure,39.2,9.1,D1\n";
    server::ingest::import_nodes(db, tenant, nodes.as_bytes())
        .await
        .unwrap();
    let d = districts::Entity::find()
        .filter(districts::Column::TenantId.eq(tenant))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut d: districts::ActiveModel = d.into();
    d.mains_length_km = Set(Some(10.0));
    d.service_connections = Set(Some(500));
    d.customer_pipe_km = Set(Some(2.0));
    d.avg_pressure_bar = Set(Some(4.0));
    d.update(db).await.unwrap();
    let ids = server::ingest::import::node_map(db, tenant).await.unwrap();
    let mut rows = Vec::new();
    for h in 0..24 {
        let night = h == 2 || h == 3;
        let ts = day_start() + Duration::hours(h);
        for (node, metric, value) in [
            ("F1", Metric::FlowRate, if night { 10.0 } else { 20.0 }),
            ("M1", Metric::FlowRate, 15.0),
            ("P1", Metric::Pressure, if night { 5.0 } else { 4.0 }),
        ] {
            rows.push(NewReading {
                node_id: ids[node],
                metric,
                ts,
                value,
                quality: 0,
            });
        }
    }
    upsert(db, tenant, &rows).await.unwrap();
    server::storage::rollups::refresh(db).await.unwrap();
    tenant
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6 * b.abs().max(1.0))
}

#[tokio::test]
async fn the_day_balance_matches_the_hand_computation() {
    each_engine(|db| async move {
        let tenant = seed(&db).await;
        let now = day_start() + Duration::hours(30);
        let written = server::efficiency::refresh(&db, tenant, "Europe/Rome", now, 1)
            .await
            .unwrap();
        // 24 hours + 1 day, for the district and for the network.
        assert_eq!(written, 2 * 25);
        let day = ne::Entity::find()
            .filter(ne::Column::TenantId.eq(tenant))
            .filter(ne::Column::District.eq("D1"))
            .filter(ne::Column::Period.eq("day"))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(day.start, day_start());
        assert_eq!(day.hours_covered, 24);
        // Input: 22 h × 20 L/s × 3.6 + 2 h × 10 L/s × 3.6 = 1656 m³; metered 24 × 15 × 3.6 = 1296.
        assert!(close(Some(day.input_m3), 1656.0), "{}", day.input_m3);
        assert!(close(day.metered_m3, 1296.0));
        assert!(close(day.nrw_m3, 360.0));
        assert!(close(day.nrw_pct, 100.0 * 360.0 / 1656.0));
        assert!(close(day.nrw_l_conn_day, 720.0)); // 360 000 L / 500 connections
        assert!(close(day.mnf_lps, 10.0));
        let nnf = 10.0 - 500.0 * 1.7 / 3600.0;
        assert!(close(day.nnf_lps, nnf));
        // Night-day factor: (22 × 4 + 2 × 5) / 5 = 19.6 h.
        let losses = nnf * 19.6 * 3600.0 / 1000.0;
        assert!(close(day.real_losses_m3, losses));
        // UARL = (18 × 10 + 0.8 × 500 + 25 × 2) × 4 bar × 10.197 m/bar, L/day.
        let uarl = 630.0 * 4.0 * 10.197;
        assert!(close(day.uarl_m3, uarl / 1000.0));
        assert!(close(day.ili, losses * 1000.0 / uarl));
        // The network row: same volumes; its pressure is the measured mean.
        let net = ne::Entity::find()
            .filter(ne::Column::TenantId.eq(tenant))
            .filter(ne::Column::District.eq(""))
            .filter(ne::Column::Period.eq("day"))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(close(Some(net.input_m3), 1656.0));
        assert!(close(net.avg_pressure_bar, (22.0 * 4.0 + 10.0) / 24.0));
        // An hour: 20 L/s in, 15 metered: 72 and 54 m³.
        let hour = ne::Entity::find()
            .filter(ne::Column::TenantId.eq(tenant))
            .filter(ne::Column::District.eq("D1"))
            .filter(ne::Column::Period.eq("hour"))
            .filter(ne::Column::Start.eq(day_start() + Duration::hours(10)))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(close(Some(hour.input_m3), 72.0));
        assert!(close(hour.nrw_m3, 18.0));
        // Running again changes nothing (recomputed in place).
        let again = server::efficiency::refresh(&db, tenant, "Europe/Rome", now, 1)
            .await
            .unwrap();
        assert_eq!(again, written);
        let count = ne::Entity::find()
            .filter(ne::Column::TenantId.eq(tenant))
            .all(&db)
            .await
            .unwrap()
            .len();
        assert_eq!(count as u64, written);
    })
    .await;
}

#[tokio::test]
async fn the_api_serves_the_figures_and_names_bad_parameters() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let now = Utc::now();
    fill_demo(&t.db, &demo, now).await;
    server::efficiency::refresh(&t.db, demo.tenant_id, "Europe/Rome", now, 1)
        .await
        .unwrap();
    let from = (now - Duration::days(2)).to_rfc3339().replace('+', "%2B");
    let to = (now + Duration::days(1)).to_rfc3339().replace('+', "%2B");
    let ok = send(
        &app,
        get(
            &format!("/api/v1/network/efficiency?from={from}&to={to}&period=hour"),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let hours = ok.json();
    let hours = hours.as_array().unwrap();
    assert!(
        hours.len() >= 20,
        "the demo network's hours: {}",
        hours.len()
    );
    assert!(hours
        .iter()
        .all(|h| h["district"].is_null() && h["period"] == "hour"));
    // A day's input is the sum of its hours' inputs.
    let days = send(
        &app,
        get(
            &format!("/api/v1/network/efficiency?from={from}&to={to}"),
            Some(&token),
        ),
    )
    .await
    .json();
    let day = days.as_array().unwrap().last().unwrap().clone();
    let day_start: DateTime<Utc> = day["start"].as_str().unwrap().parse().unwrap();
    let summed: f64 = hours
        .iter()
        .filter(|h| {
            let at: DateTime<Utc> = h["start"].as_str().unwrap().parse().unwrap();
            at >= day_start && at < day_start + Duration::days(1)
        })
        .map(|h| h["input_m3"].as_f64().unwrap())
        .sum();
    assert!(summed > 0.0);
    assert!((summed - day["input_m3"].as_f64().unwrap()).abs() < 1e-6 * summed);
    let bad = send(
        &app,
        get(
            &format!("/api/v1/network/efficiency?from={from}&to={to}&period=week"),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "period");
    let reversed = send(
        &app,
        get(
            &format!("/api/v1/network/efficiency?from={to}&to={from}"),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reversed.json()["field"], "from");
}

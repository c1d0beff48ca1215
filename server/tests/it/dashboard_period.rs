//! The dashboard over a period: every figure equals the same figure computed here from the
//! rows the test stored, on both engines; the period before is compared; bad periods are
//! refused with the field named.

use crate::support::*;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use server::storage::entities::{data_quality_reports, network_efficiency};
use server::storage::readings::{upsert, NewReading};
use shared::period::{DailyScore, PeriodQuery, PeriodSummary, RangePreset};
use shared::Metric;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Two flow meters and two pressure sensors, 15-minute readings over three days before `now`.
async fn network(db: &DatabaseConnection, now: DateTime<Utc>) -> (i64, Vec<NewReading>) {
    let tenant = new_tenant(db, "period").await;
    let csv = "node_id,name,kind,lat,lon,district\n\
               F1,Inlet north,flow,39.2,9.1,D1\nF2,Inlet south,flow,39.1,9.1,D1\n\
               P1,Hydrant 1,pressure,39.2,9.2,D1\nP2,Hydrant 2,pressure,39.1,9.2,D1\n";
    server::ingest::import_nodes(db, tenant, csv.as_bytes())
        .await
        .unwrap();
    let ids = server::ingest::import::node_map(db, tenant).await.unwrap();
    let mut rows = Vec::new();
    for i in 0..(3 * 96) {
        let ts = now - Duration::minutes(15 * (i + 1));
        let wave = (i % 7) as f64;
        for (node, metric, value) in [
            ("F1", Metric::FlowRate, 40.0 + wave),
            ("F2", Metric::FlowRate, 25.0 + 2.0 * wave),
            ("P1", Metric::Pressure, 3.0 + 0.1 * wave),
            ("P2", Metric::Pressure, 4.0 - 0.05 * wave),
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
    (tenant, rows)
}

/// Inflow volume (m³) in [from, to): each flow meter's hourly mean for a whole hour.
fn volume(rows: &[NewReading], from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    use std::collections::BTreeMap;
    let mut hours: BTreeMap<(i64, i64), (f64, f64)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.metric == Metric::FlowRate && r.ts >= from && r.ts < to)
    {
        let e = hours
            .entry((r.node_id, r.ts.timestamp() / 3600))
            .or_default();
        e.0 += r.value;
        e.1 += 1.0;
    }
    hours.values().map(|(sum, n)| sum / n * 3.6).sum()
}

fn mean_pressure(rows: &[NewReading], from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    let v: Vec<f64> = rows
        .iter()
        .filter(|r| r.metric == Metric::Pressure && r.ts >= from && r.ts < to)
        .map(|r| r.value)
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}

async fn efficiency(
    db: &DatabaseConnection,
    tenant: i64,
    start: DateTime<Utc>,
    input: f64,
    nrw: f64,
) {
    network_efficiency::ActiveModel {
        tenant_id: Set(tenant),
        district: Set(String::new()),
        period: Set("day".into()),
        start: Set(start),
        hours_covered: Set(24),
        input_m3: Set(input),
        metered_m3: Set(Some(input - nrw)),
        nrw_m3: Set(Some(nrw)),
        nrw_pct: Set(Some(nrw / input * 100.0)),
        nrw_l_conn_day: Set(None),
        mnf_lps: Set(None),
        nnf_lps: Set(None),
        real_losses_m3: Set(None),
        uarl_m3: Set(None),
        ili: Set(None),
        avg_pressure_bar: Set(None),
        computed_at: Set(start),
    }
    .insert(db)
    .await
    .unwrap();
}

async fn quality(db: &DatabaseConnection, tenant: i64, day: &str, score: f64) {
    data_quality_reports::ActiveModel {
        tenant_id: Set(tenant),
        day: Set(day.parse::<NaiveDate>().unwrap()),
        score: Set(score),
        report: Set("{}".into()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
}

/// The dashboard's figures over the 24 hours before `now`.
async fn last_day(db: &DatabaseConnection, tenant: i64, now: DateTime<Utc>) -> PeriodSummary {
    let q = PeriodQuery {
        range: Some(RangePreset::Day),
        ..PeriodQuery::default()
    };
    server::dashboard::period::summary(db, tenant, &q, now)
        .await
        .unwrap()
}

fn daily(day: &str, score: f64) -> DailyScore {
    DailyScore {
        day: day.parse().unwrap(),
        score,
    }
}

fn close(a: Option<f64>, b: f64, what: &str) {
    let a = a.unwrap_or_else(|| panic!("{what}: no value"));
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "{what}: {a} != {b}"
    );
}

async fn figures_follow_the_stored_rows(t: TestDb) {
    // On an hour boundary, so the running bucket is empty and every counted hour is whole.
    let now = at("2026-11-20T12:00:00Z");
    let (tenant, rows) = network(&t.db, now).await;
    let day = Duration::hours(24);
    let (from, previous_from, to) = (
        now + Duration::hours(1) - day,
        now + Duration::hours(1) - day * 2,
        now + Duration::hours(1),
    );
    // Detected 2 h and 5 h ago (this period) and 30 h ago (the one before); `insert_leak`
    // detects 30 minutes after the start.
    for (node, detected) in [("P1", 2), ("P2", 5), ("F1", 30)] {
        let started = now - Duration::hours(detected) - Duration::minutes(30);
        insert_leak(&t.db, tenant, node, started, now).await;
    }
    efficiency(&t.db, tenant, at("2026-11-20T00:00:00Z"), 1000.0, 200.0).await;
    efficiency(&t.db, tenant, at("2026-11-19T00:00:00Z"), 1000.0, 100.0).await;
    quality(&t.db, tenant, "2026-11-19", 90.0).await;
    quality(&t.db, tenant, "2026-11-18", 70.0).await;

    let s = last_day(&t.db, tenant, now).await;
    assert_eq!((s.from, s.to, s.previous_from), (from, to, previous_from));
    close(
        s.inflow_m3.current,
        volume(&rows, from, to),
        "inflow volume",
    );
    close(
        s.inflow_m3.previous,
        volume(&rows, previous_from, from),
        "previous inflow volume",
    );
    close(
        s.mean_pressure_bar.current,
        mean_pressure(&rows, from, to),
        "mean pressure",
    );
    close(
        s.mean_pressure_bar.previous,
        mean_pressure(&rows, previous_from, from),
        "previous mean pressure",
    );
    let readings_in = |a, b| rows.iter().filter(|r| r.ts >= a && r.ts < b).count() as f64;
    close(s.readings.current, readings_in(from, to), "readings");
    close(
        s.readings.previous,
        readings_in(previous_from, from),
        "previous readings",
    );
    close(s.nodes_reporting.current, 4.0, "nodes reporting");
    close(s.incidents.current, 2.0, "incidents");
    close(s.incidents.previous, 1.0, "previous incidents");
    close(s.nrw_pct.current, 20.0, "NRW");
    close(s.nrw_pct.previous, 10.0, "previous NRW");
    // The tenant's days (Europe/Rome): 19 Nov starts inside the period, 18 Nov before it.
    close(s.quality_score.current, 90.0, "quality score");
    close(s.quality_score.previous, 70.0, "previous quality score");
    assert_eq!(s.quality_latest, Some(daily("2026-11-19", 90.0)));
    // The curve: one point per hour with data, each the sum of the meters' hourly means.
    assert_eq!(s.inflow.len(), 23, "hours with readings in the period");
    let first = s.inflow[0];
    close(
        Some(first.value * 3.6),
        volume(&rows, first.ts, first.ts + Duration::hours(1)),
        "first bucket",
    );
    assert_eq!(s.pressure.len(), 23);
    assert_eq!(s.previous_inflow.len(), 24);
    assert_eq!(s.time_zone, "Europe/Rome");

    // A custom period of whole hours, local time (Rome, UTC+1 in November): 08:00–12:00 is
    // 07:00–11:00 UTC, compared with the four hours before.
    let q = PeriodQuery {
        range: None,
        from: Some("2026-11-20T08:00".parse().unwrap()),
        to: Some("2026-11-20T12:00".parse().unwrap()),
    };
    let s = server::dashboard::period::summary(&t.db, tenant, &q, now)
        .await
        .unwrap();
    let (from, to) = (at("2026-11-20T07:00:00Z"), at("2026-11-20T11:00:00Z"));
    assert_eq!((s.from, s.to), (from, to));
    assert_eq!(s.previous_from, at("2026-11-20T03:00:00Z"));
    close(
        s.inflow_m3.current,
        volume(&rows, from, to),
        "hours: inflow volume",
    );
    close(
        s.inflow_m3.previous,
        volume(&rows, s.previous_from, from),
        "hours: previous inflow volume",
    );
    close(s.readings.current, readings_in(from, to), "hours: readings");
    close(
        s.mean_pressure_bar.current,
        mean_pressure(&rows, from, to),
        "hours: mean pressure",
    );
    close(
        s.incidents.current,
        2.0,
        "hours: incidents (detected 07:00 and 10:00 UTC)",
    );
    assert_eq!(s.inflow.len(), 4, "one point per hour");
    assert_eq!(s.inflow[0].ts, from);

    // In the night, before 20 November's report is made (06:00 UTC): the last 24 hours hold
    // no day with a report, and the card is given the newest one, 19 November's.
    let s = last_day(&t.db, tenant, at("2026-11-21T03:00:00Z")).await;
    assert_eq!(
        s.quality_score.current, None,
        "20 November has no report yet"
    );
    close(
        s.quality_score.previous,
        90.0,
        "night: previous quality score",
    );
    assert_eq!(s.quality_latest, Some(daily("2026-11-19", 90.0)));
    t.drop_db().await;
}

#[tokio::test]
async fn figures_follow_the_stored_rows_on_sqlite() {
    figures_follow_the_stored_rows(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn figures_follow_the_stored_rows_on_postgres() {
    figures_follow_the_stored_rows(TestDb::postgres().await).await;
}

#[tokio::test]
async fn periods_are_checked_and_served_over_rest() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    fill_demo(&t.db, &demo, Utc::now()).await;
    server::storage::rollups::refresh(&t.db).await.unwrap();
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let reply = send(
        &app,
        get("/api/v1/dashboard/period?range=24h", Some(&token)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert!(body["readings"]["current"].as_f64().unwrap() > 0.0);
    assert!(!body["pressure"].as_array().unwrap().is_empty());
    for (query, field) in [
        ("range=2w", "query"),
        ("from=2026-11-02", "to"),
        ("from=2026-11-02&to=2026-11-01", "to"),
        ("from=yesterday&to=2026-11-01", "query"),
        ("from=2026-11-01T06%3A15&to=2026-11-02", "query"),
        ("from=2026-11-01T06%3A00&to=2026-11-01T06%3A00", "to"),
    ] {
        let reply = send(
            &app,
            get(&format!("/api/v1/dashboard/period?{query}"), Some(&token)),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            reply.text()
        );
        assert_eq!(reply.json()["field"], field, "{query}");
    }
    let reply = send(
        &app,
        get(
            "/api/v1/dashboard/period?from=2026-11-01&to=2026-11-02",
            Some(&token),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["resolution"], "hourly");
    // Whole hours, as the page's date-and-time fields send them (the tenant's zone, UTC+1).
    let reply = send(
        &app,
        get(
            "/api/v1/dashboard/period?from=2026-11-01T06%3A00&to=2026-11-01T12%3A00",
            Some(&token),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-11-01T05:00:00Z"), Some("2026-11-01T11:00:00Z"))
    );
    t.drop_db().await;
}

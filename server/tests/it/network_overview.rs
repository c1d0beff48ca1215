//! The network overview: each node's status follows its readings and the unresolved
//! incidents, districts add up their own nodes, the water balance comes from the newest whole
//! day, job health from each job's newest finished run; on both engines, and over REST.

use crate::support::*;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use server::storage::entities::{incidents, job_runs, network_efficiency};
use server::storage::readings::{upsert, NewReading};
use shared::overview::NodeStatus;
use shared::period::{PeriodQuery, RangePreset};
use shared::Metric;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn incident(
    db: &DatabaseConnection,
    tenant: i64,
    node: &str,
    kind: &str,
    severity: &str,
    status: &str,
    now: DateTime<Utc>,
) {
    let affected = serde_json::json!([{
        "node": node, "metric": "pressure", "score": -5.0,
        "expected": 3.1, "actual": 2.4, "since": now.timestamp(),
    }]);
    incidents::ActiveModel {
        tenant_id: Set(tenant),
        uid: Set(format!("{kind}:{node}@1")),
        dedupe_key: Set(format!("{kind}:{node}")),
        kind: Set(kind.into()),
        severity: Set(severity.into()),
        status: Set(status.into()),
        district: Set(Some("D1".into())),
        started_at: Set(now - Duration::hours(2)),
        detected_at: Set(now - Duration::hours(1)),
        last_seen_at: Set(now),
        ended_at: Set(None),
        score: Set(-5.0),
        affected: Set(affected.to_string()),
        explanation: Set("test".into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

async fn day_row(
    db: &DatabaseConnection,
    tenant: i64,
    district: &str,
    start: DateTime<Utc>,
    hours: i32,
    nrw_pct: f64,
) {
    network_efficiency::ActiveModel {
        tenant_id: Set(tenant),
        district: Set(district.into()),
        period: Set("day".into()),
        start: Set(start),
        hours_covered: Set(hours),
        input_m3: Set(1000.0),
        metered_m3: Set(Some(1000.0 - 10.0 * nrw_pct)),
        nrw_m3: Set(Some(10.0 * nrw_pct)),
        nrw_pct: Set(Some(nrw_pct)),
        nrw_l_conn_day: Set(None),
        mnf_lps: Set(Some(nrw_pct / 2.0)),
        nnf_lps: Set(None),
        real_losses_m3: Set(None),
        uarl_m3: Set(None),
        ili: Set(Some(nrw_pct / 10.0)),
        avg_pressure_bar: Set(Some(3.5)),
        computed_at: Set(start),
    }
    .insert(db)
    .await
    .unwrap();
}

async fn run(db: &DatabaseConnection, tenant: i64, job: &str, status: &str, ago_min: i64) {
    let t = Utc::now() - Duration::minutes(ago_min);
    job_runs::ActiveModel {
        job: Set(job.into()),
        tenant_id: Set(tenant),
        trigger: Set("schedule".into()),
        scheduled_at: Set(t),
        started_at: Set(t),
        finished_at: Set((status != "running").then_some(t + Duration::seconds(5))),
        heartbeat_at: Set(t),
        status: Set(status.into()),
        rows_processed: Set(0),
        detail: Set(None),
        error: Set(None),
        instance: Set("test".into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

async fn statuses_and_districts_follow_the_stored_rows(db: DatabaseConnection) {
    let now = at("2026-11-20T12:00:00Z");
    let tenant = new_tenant(&db, "overview").await;
    // Q1 has no coordinates; X1 no district.
    let csv = "node_id,name,kind,lat,lon,district\n\
               F1,Inlet,flow,39.22,9.10,D1\nP1,Hydrant,pressure,39.21,9.11,D1\n\
               P2,Tank road,pressure,39.20,9.12,D2\nQ1,Chlorine,quality,,,D2\n\
               X1,Spare,pressure,39.19,9.13,\n";
    server::ingest::import_nodes(&db, tenant, csv.as_bytes())
        .await
        .unwrap();
    let ids = server::ingest::import::node_map(&db, tenant).await.unwrap();
    let reading = |node: &str, metric, ago: i64, value| NewReading {
        node_id: ids[node],
        metric,
        ts: now - Duration::minutes(ago),
        value,
        quality: 0,
    };
    upsert(
        &db,
        tenant,
        &[
            reading("F1", Metric::FlowRate, 30, 38.0),
            reading("F1", Metric::FlowRate, 15, 40.0),
            reading("F1", Metric::Pressure, 15, 2.5),
            reading("P1", Metric::Pressure, 15, 3.0),
            // Three hours ago: past 4 × 15 minutes, so silent.
            reading("P2", Metric::Pressure, 180, 4.0),
            reading("X1", Metric::Pressure, 10, 3.3),
        ],
    )
    .await
    .unwrap();
    incident(&db, tenant, "P1", "leak", "critical", "open", now).await;
    incident(
        &db,
        tenant,
        "F1",
        "sensor_stuck",
        "warning",
        "acknowledged",
        now,
    )
    .await;
    // A resolved leak at X1 does not count.
    incident(&db, tenant, "X1", "leak", "critical", "resolved", now).await;
    let yesterday = at("2026-11-18T23:00:00Z");
    for (district, nrw) in [("", 15.0), ("D1", 20.0)] {
        day_row(&db, tenant, district, yesterday, 24, nrw).await;
    }
    // Today so far: not a whole day, so the district shows yesterday's balance.
    day_row(&db, tenant, "D1", yesterday + Duration::days(1), 12, 30.0).await;
    // Long ago: outside the period.
    day_row(&db, tenant, "D1", yesterday - Duration::days(40), 24, 50.0).await;
    run(&db, tenant, "data_quality", "succeeded", 50).await;
    run(&db, tenant, "anomaly_detection", "succeeded", 40).await;
    run(&db, tenant, "anomaly_detection", "failed", 20).await;
    // A run still going does not hide the failure before it.
    run(&db, tenant, "anomaly_detection", "running", 1).await;
    let report = server::jobs::data_quality::compute(&db, tenant, now.date_naive(), now, 4)
        .await
        .unwrap();
    server::jobs::data_quality::store(&db, tenant, &report)
        .await
        .unwrap();

    let q = PeriodQuery {
        range: Some(RangePreset::Day),
        ..PeriodQuery::default()
    };
    let o = server::dashboard::overview::overview(&db, tenant, &q, now, 4)
        .await
        .unwrap();
    let status = |id: &str| o.nodes.iter().find(|n| n.external_id == id).unwrap().status;
    assert_eq!(status("P1"), NodeStatus::Incident);
    assert_eq!(status("F1"), NodeStatus::Fault);
    assert_eq!(status("P2"), NodeStatus::Stale);
    assert_eq!(status("Q1"), NodeStatus::Stale);
    assert_eq!(status("X1"), NodeStatus::Normal);
    assert_eq!(o.count(NodeStatus::Stale), 2);
    assert_eq!(o.stale_after_secs, 3600);
    let q1 = o.nodes.iter().find(|n| n.external_id == "Q1").unwrap();
    assert_eq!((q1.lat, q1.lon, q1.last_seen), (None, None, None));
    let p1 = o.nodes.iter().find(|n| n.external_id == "P1").unwrap();
    assert_eq!(
        (p1.lat, p1.lon, p1.pressure),
        (Some(39.21), Some(9.11), Some(3.0))
    );

    // Districts: their own nodes only; X1 has none.
    let names: Vec<&str> = o.districts.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["D1", "D2"]);
    let (d1, d2) = (&o.districts[0], &o.districts[1]);
    assert_eq!((d1.nodes, d1.online, d2.nodes, d2.online), (2, 2, 2, 0));
    assert_eq!(d1.inflow_lps, Some(40.0));
    assert_eq!(d1.pressure_bar, Some(2.75));
    assert_eq!(d2.pressure_bar, Some(4.0));
    assert_eq!(d2.inflow_lps, None);
    assert_eq!(d1.open_incidents, 2);
    assert_eq!(d1.day, Some(yesterday));
    assert_eq!(
        (d1.nrw_pct, d1.mnf_lps, d1.ili),
        (Some(20.0), Some(10.0), Some(2.0))
    );
    assert_eq!((d2.nrw_pct, d2.day), (None, None));
    // Daily figures: at least seven days back, so the old row is out; today's partial is in.
    assert_eq!(o.to - o.from, Duration::days(7));
    let d1_days: Vec<f64> = o
        .days
        .iter()
        .filter(|d| d.district.as_deref() == Some("D1"))
        .filter_map(|d| d.nrw_pct)
        .collect();
    assert_eq!(d1_days, [20.0, 30.0]);
    assert_eq!(
        o.days.iter().filter(|d| d.district.is_none()).count(),
        1,
        "the whole network's day"
    );

    let h = &o.health;
    assert_eq!((h.sensors_online, h.sensors_total), (3, 5));
    assert_eq!((h.open_incidents, h.open_critical), (2, 1));
    assert_eq!((h.jobs_healthy, h.jobs_total), (1, 2));
    assert_eq!(h.failing_jobs, ["anomaly_detection"]);
    assert_eq!(h.completeness, Some(report.completeness));
    assert_eq!(h.quality_day, Some(now.date_naive()));
    assert!(report.completeness > 0.0 && report.completeness < 1.0);
}

#[tokio::test]
async fn statuses_and_districts_follow_the_stored_rows_on_both_engines() {
    each_engine(statuses_and_districts_follow_the_stored_rows).await;
}

#[tokio::test]
async fn the_overview_is_served_over_rest_with_its_map() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    fill_demo(&t.db, &demo, Utc::now()).await;
    let app = server::web::app(state);
    let token = login_token(&app).await;
    let reply = send(&app, get("/api/v1/network/overview?range=7d", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    let nodes = body["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    assert!(
        nodes
            .iter()
            .all(|n| n["lat"].is_number() && n["status"] == "normal"),
        "the demo network reports live and has positions: {nodes:?}"
    );
    assert_eq!(body["health"]["sensors_online"], nodes.len());
    assert!(!body["districts"].as_array().unwrap().is_empty());
    let reply = send(&app, get("/api/v1/network/overview?range=2w", Some(&token))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["field"], "query");
    let reply = send(&app, get("/api/v1/network/overview", None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    // The page's server function draws the map, zoomed to a window when asked: only the
    // nodes inside it, with the way back to the whole network and the period kept.
    let call = |body: String| {
        use server_fn::ServerFn;
        axum::http::Request::post(app::server_fns::dashboard::GetOverview::PATH)
            .header("cookie", format!("rw_access={token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let (mut lats, mut lons): (Vec<f64>, Vec<f64>) = nodes
        .iter()
        .map(|n| (n["lat"].as_f64().unwrap(), n["lon"].as_f64().unwrap()))
        .unzip();
    lats.sort_by(f64::total_cmp);
    lons.sort_by(f64::total_cmp);
    // The south-west quarter of the network (up to the median latitude and longitude).
    let (lat_mid, lon_mid) = (lats[lats.len() / 2], lons[lons.len() / 2]);
    let window = format!("{},{},{lat_mid},{lon_mid}", lats[0] - 1e-4, lons[0] - 1e-4);
    let inside = nodes
        .iter()
        .filter(|n| {
            let (lat, lon) = (n["lat"].as_f64().unwrap(), n["lon"].as_f64().unwrap());
            lat <= lat_mid && lon <= lon_mid
        })
        .count();
    assert!(0 < inside && inside < nodes.len());
    let reply = send(
        &app,
        call(format!("range=7d&map={}", window.replace(',', "%2C"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let view = reply.wire::<shared::overview::OverviewView>();
    assert_eq!(view.map_svg.matches(r#"<a href="/nodes/"#).count(), inside);
    assert!(
        view.map_svg.contains(&format!(
            "Part of the network: {inside} of {} nodes",
            nodes.len()
        )),
        "{}",
        view.map_svg
    );
    assert!(view
        .map_svg
        .contains(r#"class="map-back" href="/enhanced-overview?range=7d""#));
    // No window, or an empty one (a form's empty field): the whole network.
    for body in ["range=7d", "range=7d&map="] {
        let whole = send(&app, call(body.into()))
            .await
            .wire::<shared::overview::OverviewView>();
        assert_eq!(
            whole.map_svg.matches(r#"<a href="/nodes/"#).count(),
            nodes.len(),
            "{body}"
        );
    }
    // A window that is not one: 422 naming the field.
    let reply = send(&app, call("range=7d&map=39.3%2C9.1%2C39.2".into())).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = reply.wire::<shared::AppError>();
    assert!(format!("{error:?}").contains("map"), "{error:?}");
    t.drop_db().await;
}

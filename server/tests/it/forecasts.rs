//! Forecasts served from the stored hours of the synthetic network: the combination's method
//! and interval, the cache, REST and server function, and what they refuse.

use super::anomalies::seed;
use crate::support::*;
use axum::http::StatusCode;
use chrono::DateTime;
use shared::Metric;

#[tokio::test]
async fn forecasts_come_from_the_stored_hours_and_refuse_what_they_cannot_do() {
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let app = server::web::app(state);
    let (tenant, panel) = seed(&t.db, "forecast").await;
    server::storage::rollups::refresh(&t.db).await.unwrap();
    let ids = server::ingest::import::node_map(&t.db, tenant)
        .await
        .unwrap();
    let end = DateTime::from_timestamp(panel.time(panel.len() - 1) + 900, 0).unwrap();
    let fc = server::forecast::fit(&t.db, tenant, ids["F0"], Metric::FlowRate, end)
        .await
        .unwrap();
    assert_eq!(fc.points.len(), 168);
    assert_eq!(fc.history_hours, 28 * 24);
    assert!(
        fc.method.starts_with("combination(mstl_ets "),
        "{}",
        fc.method
    );
    assert_eq!(fc.points[0].at, end);
    assert!(fc
        .points
        .iter()
        .all(|p| p.lower <= p.value && p.value <= p.upper));
    // F0 carries 60 % of an inflow near 500 L/s (+40 L/s of burst): its forecast stays there.
    let mean = fc.points.iter().map(|p| p.value).sum::<f64>() / 168.0;
    let last_week: Vec<f64> =
        panel.series.iter().find(|s| s.node == "F0").unwrap().values[panel.len() - 672..].to_vec();
    let actual = last_week.iter().sum::<f64>() / last_week.len() as f64;
    assert!(
        (mean - actual).abs() < 0.1 * actual,
        "forecast mean {mean:.1} vs last week {actual:.1}"
    );
    // Through the API, for the demo tenant: bad horizon, unknown metric, another tenant's node,
    // and a node without recent history.
    let token = login_token(&app).await;
    let demo_node = server::ingest::import::node_map(&t.db, demo.tenant_id)
        .await
        .unwrap()["F01"];
    let bad = send(
        &app,
        get(
            &format!("/api/v1/forecasts/{demo_node}/flow_rate?horizon=500"),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "horizon");
    let bad = send(
        &app,
        get(
            &format!("/api/v1/forecasts/{demo_node}/sound?horizon=5"),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(bad.json()["field"], "metric");
    let other = send(
        &app,
        get(
            &format!("/api/v1/forecasts/{}/flow_rate", ids["F0"]),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let empty = send(
        &app,
        get(
            &format!("/api/v1/forecasts/{demo_node}/flow_rate?horizon=24"),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(empty.status, StatusCode::CONFLICT, "{}", empty.text());

    // A district's demand: the summed flow of its inlet meters.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use server::storage::entities::{districts, nodes};
    let f0 = nodes::Entity::find_by_id(ids["F0"])
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    let district = districts::Entity::find_by_id(f0.district_id.unwrap())
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    // F1 feeds the district too (the synthetic network gives each district one inlet).
    {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
        let mut f1 = nodes::Entity::find_by_id(ids["F1"])
            .one(&t.db)
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        f1.district_id = Set(Some(district.id));
        f1.update(&t.db).await.unwrap();
    }
    let inlets: Vec<&analytics::panel::Series> = panel
        .series
        .iter()
        .filter(|s| s.node == "F0" || s.node == "F1")
        .collect();
    assert_eq!(inlets.len(), 2);
    let dfc = server::forecast::fit_district(&t.db, tenant, &district, end)
        .await
        .unwrap();
    let mut expected_ids: Vec<i64> = inlets.iter().map(|s| ids[&s.node]).collect();
    let mut got_ids = dfc.inlet_node_ids.clone();
    expected_ids.sort_unstable();
    got_ids.sort_unstable();
    assert_eq!(got_ids, expected_ids);
    assert_eq!(dfc.points.len(), 168);
    assert_eq!(dfc.history_hours, 28 * 24);
    let d_mean = dfc.points.iter().map(|p| p.value).sum::<f64>() / 168.0;
    let d_actual: f64 = inlets
        .iter()
        .map(|s| s.values[panel.len() - 672..].iter().sum::<f64>() / 672.0)
        .sum();
    assert!(
        (d_mean - d_actual).abs() < 0.1 * d_actual,
        "district forecast mean {d_mean:.1} vs last week's summed inflow {d_actual:.1}"
    );
    assert!(d_mean > 1.5 * mean, "the sum is more than the F0 share");
    // Through the API: another tenant's district is not found; the demo's has no history yet.
    let other = send(
        &app,
        get(
            &format!("/api/v1/districts/{}/forecast", district.id),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let demo_district = districts::Entity::find()
        .filter(districts::Column::TenantId.eq(demo.tenant_id))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    let early = send(
        &app,
        get(
            &format!("/api/v1/districts/{}/forecast?horizon=24", demo_district.id),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text());
}

/// The demo network with 3 days of readings, rolled up, after one run of the hourly cache
/// refresh (which fits and stores every district's demand forecast).
async fn demo_after_an_hourly_refresh() -> (
    TestDb,
    server::AppState,
    server::demo::seed::DemoTenant,
    DateTime<chrono::Utc>,
) {
    use chrono::{Duration, Utc};
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let now = Utc::now();
    let rows = server::demo::feed::readings_between(&demo, now - Duration::days(3), now);
    server::storage::readings::upsert(&t.db, demo.tenant_id, &rows)
        .await
        .unwrap();
    server::storage::rollups::refresh(&t.db).await.unwrap();
    let job = state.scheduler.job("cache_refresh").unwrap().job.clone();
    assert_eq!(state.scheduler.tick(job, now).await.unwrap(), 1);
    (t, state, demo, now)
}

#[tokio::test]
async fn the_hourly_refresh_stores_each_districts_demand_forecast() {
    use chrono::{Duration, Utc};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use server::storage::entities::{districts, nodes};
    let (t, _state, demo, now) = demo_after_an_hourly_refresh().await;

    // Every district with an inlet meter has a stored forecast of its inlets' summed flow;
    // one without has none.
    let inlets = nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(demo.tenant_id))
        .filter(nodes::Column::Kind.eq("flow"))
        .all(&t.db)
        .await
        .unwrap();
    let all = districts::Entity::find()
        .filter(districts::Column::TenantId.eq(demo.tenant_id))
        .all(&t.db)
        .await
        .unwrap();
    let mut stored = Vec::new();
    for d in &all {
        let mut expected: Vec<i64> = inlets
            .iter()
            .filter(|n| n.district_id == Some(d.id))
            .map(|n| n.id)
            .collect();
        expected.sort_unstable();
        let fc = server::forecast::stored_district(&t.db, demo.tenant_id, d.id, Utc::now())
            .await
            .unwrap();
        match fc {
            Some(fc) => {
                let mut got = fc.inlet_node_ids.clone();
                got.sort_unstable();
                assert_eq!(got, expected, "district {}", d.name);
                assert_eq!(fc.points.len(), 168);
                assert!(fc.method.starts_with("combination("), "{}", fc.method);
                stored.push(fc);
            }
            None => assert!(expected.is_empty(), "district {} was not stored", d.name),
        }
    }
    assert!(!stored.is_empty(), "the demo has districts with inlets");
    // A district with a single inlet takes that meter's flow forecast of the same run as its
    // demand forecast instead of fitting the same series again; the run says how many did.
    let mut single = 0;
    for fc in &stored {
        if let [inlet] = fc.inlet_node_ids[..] {
            single += 1;
            let node = server::forecast::stored(
                &t.db,
                demo.tenant_id,
                inlet,
                shared::Metric::FlowRate,
                now,
            )
            .await
            .unwrap()
            .expect("the inlet's own forecast");
            assert_eq!(
                (&fc.method, &fc.points),
                (&node.method, &node.points),
                "district {}",
                fc.district
            );
        }
    }
    assert!(single > 0, "the demo has single-inlet districts");
    let detail = {
        use server::storage::entities::job_runs;
        job_runs::Entity::find()
            .filter(job_runs::Column::Job.eq("cache_refresh"))
            .one(&t.db)
            .await
            .unwrap()
            .and_then(|r| r.detail)
            .unwrap_or_default()
    };
    assert!(
        detail.contains(&format!("({single} taken from their single inlet's)")),
        "{detail}"
    );
    // Another tenant cannot read them, and they are no longer fresh a day later.
    let first = &stored[0];
    assert!(
        server::forecast::stored_district(&t.db, demo.tenant_id + 1, first.district_id, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(server::forecast::stored_district(
        &t.db,
        demo.tenant_id,
        first.district_id,
        now + Duration::days(1)
    )
    .await
    .unwrap()
    .is_none());

    // A new server over the same database (empty cache) serves the stored forecast: the
    // job's fit, not a new one.
    let (fresh, _) = state_with_demo(&t.db).await;
    let app = server::web::app(fresh);
    let token = login_token(&app).await;
    let reply = send(
        &app,
        get(
            &format!(
                "/api/v1/districts/{}/forecast?horizon=24",
                first.district_id
            ),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    let generated: DateTime<chrono::Utc> = body["generated_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(generated, first.generated_at);
    assert_eq!(body["points"].as_array().unwrap().len(), 24);
    assert_eq!(
        body["points"][0]["value"].as_f64().unwrap(),
        first.points[0].value
    );
}

#[tokio::test]
async fn a_districts_demand_chart_draws_its_inlets_summed_hours_and_its_stored_forecast() {
    use axum::body::Body;
    use axum::http::Request;
    use chrono::{Duration, DurationRound, Utc};
    use sea_orm::FromQueryResult;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use server::storage::entities::nodes;
    use server_fn::ServerFn;
    use std::collections::BTreeMap;
    let (t, state, demo, now) = demo_after_an_hourly_refresh().await;
    let app = server::web::app(state);
    let token = login_token(&app).await;

    // A district with two or more inlet meters, and its stored forecast.
    let inlets = nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(demo.tenant_id))
        .filter(nodes::Column::Kind.eq("flow"))
        .all(&t.db)
        .await
        .unwrap();
    let mut per_district: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for n in &inlets {
        per_district
            .entry(n.district_id.unwrap())
            .or_default()
            .push(n.id);
    }
    let (district, ids) = per_district
        .iter()
        .max_by_key(|(_, ids)| ids.len())
        .unwrap();
    let stored = server::forecast::stored_district(&t.db, demo.tenant_id, *district, now)
        .await
        .unwrap()
        .expect("the refresh stored the district's forecast");

    // What the chart should draw: each whole hour of the last week in which every inlet
    // reported, their hourly means added up.
    let end = now.duration_trunc(Duration::hours(1)).unwrap();
    #[derive(sea_orm::FromQueryResult)]
    struct Hour {
        bucket: DateTime<Utc>,
        mean: f64,
    }
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let hourly = Hour::find_by_statement(sea_orm::Statement::from_sql_and_values(
        sea_orm::DatabaseBackend::Sqlite,
        format!(
            "SELECT bucket, sum_value / count AS mean FROM readings_hourly \
             WHERE tenant_id = ? AND metric = ? AND node_id IN ({list}) AND count > 0 \
             AND bucket >= ? AND bucket < ?"
        ),
        [
            demo.tenant_id.into(),
            Metric::FlowRate.code().into(),
            (end - Duration::hours(168)).into(),
            end.into(),
        ],
    ))
    .all(&t.db)
    .await
    .unwrap();
    let mut sums: BTreeMap<DateTime<Utc>, (f64, usize)> = BTreeMap::new();
    for h in &hourly {
        let e = sums.entry(h.bucket).or_default();
        e.0 += h.mean;
        e.1 += 1;
    }
    let expected: Vec<f64> = sums
        .values()
        .filter(|(_, n)| *n == ids.len())
        .map(|(v, _)| (v * 10_000.0).round() / 10_000.0)
        .collect();
    assert!(expected.len() >= 60, "{} hours", expected.len());

    let call = |district: Option<i64>| {
        Request::post(app::server_fns::series::GetDistrictChart::PATH)
            .header("cookie", format!("rw_access={token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Body::from(
                district.map_or_else(String::new, |d| format!("district_id={d}")),
            ))
            .unwrap()
    };
    let reply = send(&app, call(Some(*district))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let chart = reply.wire::<Option<shared::forecast::DistrictDemandChart>>();
    // Without a district: the one the overview lists first (by name, with nodes).
    let first = send(&app, call(None))
        .await
        .wire::<Option<shared::forecast::DistrictDemandChart>>()
        .expect("the tenant has districts");
    let overview = send(&app, get("/api/v1/network/overview", Some(&token)))
        .await
        .json();
    assert_eq!(
        first.district,
        overview["districts"][0]["name"].as_str().unwrap()
    );
    let chart = serde_json::to_value(chart.expect("a chart")).unwrap();
    let option: serde_json::Value =
        serde_json::from_str(chart["option"].as_str().unwrap()).unwrap();
    let drawn: Vec<f64> = option["series"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_f64().unwrap())
        .collect();
    assert_eq!(drawn, expected);
    // The forecast after it: 48 hours of the stored fit, and the next day's outlook from it.
    let mean: Vec<f64> = option["series"][3]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_f64().unwrap())
        .collect();
    assert_eq!(mean.len(), 48);
    assert!((mean[0] - stored.points[0].value).abs() < 1e-3);
    let day = &stored.points[..24];
    let volume: f64 = day.iter().map(|p| p.value).sum::<f64>() * 3.6;
    let outlook = &chart["outlook"];
    assert!((outlook["next_day_m3"].as_f64().unwrap() - volume).abs() < 1e-6);
    let peak = day.iter().map(|p| p.value).fold(f64::MIN, f64::max);
    assert_eq!(outlook["peak_lps"].as_f64().unwrap(), peak);
    assert_eq!(outlook["method"], stored.method.as_str());
    assert!(chart["note"].is_null());

    // Another tenant's district, or none: 404.
    let reply = send(&app, call(Some(999_999))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text());
}

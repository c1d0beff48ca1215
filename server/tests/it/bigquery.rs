//! The BigQuery source, through the real `gcp-bigquery-client`, against the fake server:
//! paging, retries, a failure halfway, watermarks and credentials.

use crate::fake_bigquery::{FakeBigQuery, TableRow};
use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use gcp_bigquery_client::error::BQError;
use sea_orm::{EntityTrait, PaginatorTrait};
use server::storage::entities::readings;
use server::warehouse::bigquery::{BigQuerySettings, BigQuerySource, Retry};
use server::warehouse::sync;
use std::sync::Arc;

const TOKEN: &str = "test-access-token";

#[derive(Clone)]
struct StaticToken(String);

#[async_trait::async_trait]
impl gcp_bigquery_client::auth::Authenticator for StaticToken {
    async fn access_token(&self) -> Result<String, BQError> {
        Ok(self.0.clone())
    }
}

fn settings() -> BigQuerySettings {
    let (ts_column, node_column, metric_columns) = BigQuerySettings::parse_columns(
        "ts=timestamp,node=node_id,flow_rate=flow_rate,pressure=pressure,\
         temperature=temperature,volume=total_flow",
    )
    .unwrap();
    BigQuerySettings {
        project: "roccavina-test".into(),
        dataset: "telemetry".into(),
        table: "readings".into(),
        ts_column,
        node_column,
        metric_columns,
        page_size: 50,
        retry: Retry {
            attempts: 3,
            base_delay: std::time::Duration::from_millis(10),
        },
    }
}

async fn source(fake: &FakeBigQuery, token: &str, tenant_id: i64) -> BigQuerySource {
    let client = gcp_bigquery_client::client_builder::ClientBuilder::new()
        .with_v2_base_url(fake.url.clone())
        .build_from_authenticator(Arc::new(StaticToken(token.into())))
        .await
        .unwrap();
    BigQuerySource::new(client, settings(), tenant_id)
}

fn start() -> DateTime<Utc> {
    "2026-03-01T00:00:00Z".parse().unwrap()
}

/// `steps` 15-minute rows for three demo nodes; node P03 has no temperature sensor.
fn table(steps: i64, from_step: i64) -> Vec<TableRow> {
    let mut rows = Vec::new();
    for i in from_step..from_step + steps {
        for (k, node) in ["F01", "P01", "P03"].into_iter().enumerate() {
            let x = i as f64 + k as f64;
            rows.push(TableRow {
                ts: start() + Duration::minutes(15 * i),
                node: node.into(),
                values: [
                    Some(20.0 + x % 7.0),
                    Some(3.0 + (x % 5.0) / 10.0),
                    (node != "P03").then_some(14.5),
                    Some(1_000.0 + x * 4.5),
                ],
            });
        }
    }
    rows
}

async fn stored(db: &sea_orm::DatabaseConnection) -> u64 {
    readings::Entity::find().count(db).await.unwrap()
}

#[tokio::test]
async fn pages_land_a_500_is_retried_and_the_watermark_follows() {
    let t = TestDb::postgres().await;
    let (_, demo) = state_with_demo(&t.db).await;
    let fake = FakeBigQuery::start(TOKEN).await;
    fake.set_rows(table(40, 0)); // 120 rows, 3 pages of 50
    fake.fail_page(1, 500, 1);
    let bq = source(&fake, TOKEN, demo.tenant_id).await;
    let now = start() + Duration::hours(10) + Duration::minutes(1);
    let out = sync::realtime(&t.db, None, &bq, now, Duration::days(1))
        .await
        .unwrap();
    assert_eq!(out.pages, 3);
    // 120 rows × 4 values, less the 40 missing temperatures.
    assert_eq!(out.report.inserted, 440, "{:?}", out.report);
    assert_eq!(out.report.rejected, 0);
    assert_eq!(stored(&t.db).await, 440);
    let last = start() + Duration::minutes(15 * 39);
    assert_eq!(out.watermark, Some(last));
    assert_eq!(
        sync::watermark(&t.db, "bigquery", demo.tenant_id)
            .await
            .unwrap(),
        Some(last)
    );
    let log = fake.log();
    assert!(log.contains(&"page 1 -> 500".to_owned()), "{log:?}");
    assert!(
        log.contains(&"page 2 -> 200 (20 rows)".to_owned()),
        "{log:?}"
    );

    // The next run asks only for what is newer than the watermark.
    fake.set_rows(table(44, 0));
    let out = sync::realtime(
        &t.db,
        None,
        &bq,
        now + Duration::hours(1),
        Duration::days(1),
    )
    .await
    .unwrap();
    assert_eq!(out.report.inserted, 4 * 11);
    assert_eq!(out.report.unchanged, 0, "old rows were pulled again");
    assert!(fake
        .log()
        .iter()
        .any(|l| l.starts_with(&format!("query {last}"))));
    t.drop_db().await;
}

#[tokio::test]
async fn a_failure_after_page_one_keeps_the_watermark_and_the_rerun_completes() {
    let t = TestDb::postgres().await;
    let (_, demo) = state_with_demo(&t.db).await;
    let fake = FakeBigQuery::start(TOKEN).await;
    fake.set_rows(table(40, 0));
    fake.fail_page(1, 503, 100);
    let bq = source(&fake, TOKEN, demo.tenant_id).await;
    let now = start() + Duration::hours(12);
    let err = sync::realtime(&t.db, None, &bq, now, Duration::days(1))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("HTTP 503"), "{err:#}");
    assert_eq!(
        fake.log().iter().filter(|l| *l == "page 1 -> 503").count(),
        3,
        "three attempts, then give up"
    );
    assert_eq!(
        sync::watermark(&t.db, "bigquery", demo.tenant_id)
            .await
            .unwrap(),
        None
    );
    let partial = stored(&t.db).await;
    assert!(partial > 0 && partial < 440, "page 1 committed: {partial}");

    fake.heal();
    let out = sync::realtime(&t.db, None, &bq, now, Duration::days(1))
        .await
        .unwrap();
    assert_eq!(stored(&t.db).await, 440, "nothing missing, nothing twice");
    assert_eq!(out.report.inserted + out.report.unchanged, 440);
    assert_eq!(out.report.unchanged, partial);
    assert_eq!(out.watermark, Some(start() + Duration::minutes(15 * 39)));
    t.drop_db().await;
}

#[tokio::test]
async fn refused_credentials_fail_at_once_with_a_clear_message() {
    let t = TestDb::sqlite().await;
    let (_, demo) = state_with_demo(&t.db).await;
    let fake = FakeBigQuery::start(TOKEN).await;
    fake.set_rows(table(4, 0));
    let bq = source(&fake, "expired-token", demo.tenant_id).await;
    let err = sync::realtime(
        &t.db,
        None,
        &bq,
        start() + Duration::hours(2),
        Duration::days(1),
    )
    .await
    .unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("refused the credentials"), "{message}");
    assert!(message.contains("HTTP 401"), "{message}");
    assert_eq!(fake.log(), vec!["query -> 401".to_owned()], "no retry");
    assert_eq!(stored(&t.db).await, 0);
}

#[tokio::test]
async fn a_missing_key_file_is_explained() {
    let err = BigQuerySource::client_from_key_file("/nonexistent/key.json", None)
        .await
        .err()
        .unwrap();
    assert!(
        format!("{err:#}").contains("/nonexistent/key.json"),
        "{err:#}"
    );
}

#[tokio::test]
async fn bigquery_ml_trains_arima_plus_once_and_its_forecasts_are_stored_and_served() {
    use crate::fake_bigquery::ForecastRow;
    use chrono::DurationRound;
    let t = TestDb::sqlite().await;
    let (state, demo) = state_with_demo(&t.db).await;
    let fake = FakeBigQuery::start(TOKEN).await;
    let from = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    let value = |node: usize, h: i64| 18.0 + node as f64 + (h % 24) as f64 * 0.25;
    let mut rows = Vec::new();
    for (k, node) in ["F01", "X-not-ours"].into_iter().enumerate() {
        for h in 0..168 {
            rows.push(ForecastRow {
                node: node.into(),
                at: from + Duration::hours(h),
                value: value(k, h),
                lower: value(k, h) - 2.0,
                upper: value(k, h) + 3.0,
            });
        }
    }
    fake.set_forecast(rows); // 336 rows: 7 pages of 50
    state
        .scheduler
        .add_source(Arc::new(source(&fake, TOKEN, demo.tenant_id).await));
    let job = state.scheduler.job("cache_refresh").unwrap().job.clone();
    state.scheduler.tick(job.clone(), Utc::now()).await.unwrap();

    let sent = fake.statements();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    let create = &sent[0];
    assert!(
        create.starts_with(
            "CREATE OR REPLACE MODEL `roccavina-test.telemetry.roccavina_flow_rate_arima_plus`"
        ),
        "{create}"
    );
    for part in [
        "model_type = 'ARIMA_PLUS'",
        "time_series_timestamp_col = 'hour'",
        "time_series_data_col = 'value'",
        "time_series_id_col = 'node'",
        "data_frequency = 'HOURLY'",
        "horizon = 168",
        "TIMESTAMP_TRUNC(`timestamp`, HOUR) AS hour",
        "CAST(`node_id` AS STRING) AS node",
        "AVG(`flow_rate`) AS value",
        "FROM `roccavina-test.telemetry.readings`",
        "`flow_rate` IS NOT NULL",
    ] {
        assert!(create.contains(part), "`{part}` missing from {create}");
    }
    assert!(sent[1].contains(
        "FROM ML.FORECAST(MODEL `roccavina-test.telemetry.roccavina_flow_rate_arima_plus`, \
         STRUCT(168 AS horizon, 0.95 AS confidence_level))"
    ));

    // Served from the store: the warehouse's numbers, the method named.
    let app = server::web::app(state.clone());
    let token = login_token(&app).await;
    let f01 = demo.node_ids["F01"];
    let reply = send(
        &app,
        get(
            &format!("/api/v1/forecasts/{f01}/flow_rate?horizon=24"),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(reply.status, axum::http::StatusCode::OK, "{}", reply.text());
    let fc = reply.json();
    assert_eq!(fc["method"], "bigquery_arima_plus");
    let points = fc["points"].as_array().unwrap();
    assert_eq!(points.len(), 24);
    for (h, p) in points.iter().enumerate() {
        let expected = value(0, h as i64);
        assert_eq!(p["value"].as_f64().unwrap(), expected);
        assert_eq!(p["lower"].as_f64().unwrap(), expected - 2.0);
        assert_eq!(p["upper"].as_f64().unwrap(), expected + 3.0);
        let at: DateTime<Utc> = p["at"].as_str().unwrap().parse().unwrap();
        assert_eq!(at, from + Duration::hours(h as i64));
    }
    use sea_orm::ConnectionTrait;
    let stored =
        t.db.query_one(sea_orm::Statement::from_string(
            t.db.get_database_backend(),
            "SELECT count(*) AS n, min(method) AS m FROM forecasts",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.try_get::<i64>("", "n").unwrap(), 1, "only our node");
    assert_eq!(
        stored.try_get::<String>("", "m").unwrap(),
        "bigquery_arima_plus"
    );

    // The next hour: forecasts read again, the model not retrained.
    state
        .scheduler
        .tick(job, Utc::now() + Duration::hours(1))
        .await
        .unwrap();
    let sent = fake.statements();
    assert_eq!(sent.len(), 3);
    assert!(sent[2].contains("ML.FORECAST("));
}

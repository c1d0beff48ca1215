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

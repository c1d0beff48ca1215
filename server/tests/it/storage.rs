//! Storage on both engines: migrations, idempotent upserts, the latest-value table and the
//! summary's numbers against aggregates computed independently in Rust.

use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};
use server::dashboard::DashboardService;
use server::demo::feed;
use server::storage::entities::{latest_readings, readings as readings_table};
use server::storage::readings::{upsert, NewReading};
use shared::Metric;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    each_engine(|db| async move {
        Migrator::down(&db, None).await.unwrap();
        let tables = db
            .query_all(sea_orm::Statement::from_string(
                db.get_database_backend(),
                match db.get_database_backend() {
                    sea_orm::DbBackend::Postgres => {
                        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' \
                         AND tablename <> 'seaql_migrations'"
                    }
                    _ => {
                        "SELECT name FROM sqlite_master WHERE type = 'table' \
                          AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'"
                    }
                }
                .to_owned(),
            ))
            .await
            .unwrap();
        assert!(
            tables.is_empty(),
            "tables left after down: {}",
            tables.len()
        );
        Migrator::up(&db, None).await.unwrap();
        assert!(Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn upserts_are_idempotent_and_latest_never_moves_back() {
    each_engine(|db| async move {
        let (_, demo) = state_with_demo(&db).await;
        let node = demo.node_ids["P01"];
        let rows: Vec<NewReading> = (0..10)
            .map(|i| NewReading {
                node_id: node,
                metric: Metric::Pressure,
                ts: at("2026-03-01T00:00:00Z") + Duration::minutes(15 * i),
                value: 3.0 + i as f64 / 10.0,
                quality: 0,
            })
            .collect();
        let first = upsert(&db, demo.tenant_id, &rows).await.unwrap();
        assert_eq!((first.inserted, first.updated, first.unchanged), (10, 0, 0));
        let again = upsert(&db, demo.tenant_id, &rows).await.unwrap();
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 10));
        assert_eq!(readings_table::Entity::find().count(&db).await.unwrap(), 10);

        // A corrected value replaces the stored one.
        let mut fix = rows[4];
        fix.value = 9.99;
        let fixed = upsert(&db, demo.tenant_id, &[fix]).await.unwrap();
        assert_eq!((fixed.inserted, fixed.updated, fixed.unchanged), (0, 1, 0));
        let stored = readings_table::Entity::find_by_id((node, Metric::Pressure.code(), fix.ts))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.value, 9.99);
        assert_eq!(readings_table::Entity::find().count(&db).await.unwrap(), 10);

        // The latest is the newest row; a late, older reading leaves it alone.
        let latest = latest_readings::Entity::find_by_id((node, Metric::Pressure.code()))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.ts, rows[9].ts);
        assert_eq!(latest.value, rows[9].value);
        let mut late = rows[0];
        late.ts -= Duration::days(1);
        upsert(&db, demo.tenant_id, &[late]).await.unwrap();
        let latest = latest_readings::Entity::find_by_id((node, Metric::Pressure.code()))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.ts, rows[9].ts);
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_of_the_same_fresh_rows_store_each_once() {
    each_engine(|db| async move {
        let (_, demo) = state_with_demo(&db).await;
        let nodes = [demo.node_ids["P01"], demo.node_ids["P02"]];
        // Four writers: the 1st and 2nd send identical rows, the 3rd overlaps both halves of
        // the span with different values, the 4th is disjoint.
        let batch = |offset: i64, value: f64| -> Vec<NewReading> {
            (0..200)
                .flat_map(|i| {
                    nodes.map(|node_id| NewReading {
                        node_id,
                        metric: Metric::Pressure,
                        ts: at("2026-05-01T00:00:00Z") + Duration::minutes(15 * (i + offset)),
                        value: value + i as f64 / 100.0,
                        quality: 0,
                    })
                })
                .collect()
        };
        let batches = [
            batch(0, 3.0),
            batch(0, 3.0),
            batch(100, 4.0),
            batch(1000, 2.0),
        ];
        let writers: Vec<_> = batches
            .iter()
            .cloned()
            .map(|rows| {
                let db = db.clone();
                tokio::spawn(async move { upsert(&db, demo.tenant_id, &rows).await.unwrap() })
            })
            .collect();
        let mut inserted = 0;
        for w in writers {
            inserted += w.await.unwrap().inserted;
        }
        // Distinct keys: steps 0..300 and 1000..1200 for both nodes.
        assert_eq!(inserted, 2 * (300 + 200));
        assert_eq!(
            readings_table::Entity::find().count(&db).await.unwrap(),
            2 * (300 + 200)
        );
        server::storage::rollups::refresh(&db).await.unwrap();
        // Whichever writer won each key, the rollups equal aggregates of the stored rows.
        let stored: Vec<NewReading> = readings_table::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| NewReading {
                node_id: r.node_id,
                metric: Metric::from_code(r.metric).unwrap(),
                ts: r.ts,
                value: r.value,
                quality: r.quality,
            })
            .collect();
        let hourly = buckets(&db, "readings_hourly").await;
        assert!(hourly.iter().all(|h| h.count == 4), "an hour counted twice");
        assert_buckets(&hourly, &expected(&stored, Duration::hours(1)));
        assert_buckets(
            &buckets(&db, "readings_daily").await,
            &expected(&stored, Duration::days(1)),
        );
    })
    .await;
}

#[tokio::test]
async fn summary_equals_aggregates_computed_from_the_generated_rows() {
    each_engine(|db| async move {
        let (_, demo) = state_with_demo(&db).await;
        let now = at("2026-03-04T10:07:00Z");
        // Two days of data: only the last 24 h may be counted.
        let rows = feed::readings_between(&demo, now - Duration::hours(48), now);
        upsert(&db, demo.tenant_id, &rows).await.unwrap();
        let summary = DashboardService::new(db.clone())
            .summary_at(demo.tenant_id, "demo", now)
            .await
            .unwrap();
        let window: Vec<_> = rows
            .iter()
            .filter(|r| r.ts > now - Duration::hours(24))
            .collect();
        assert_eq!(summary.readings_24h, window.len() as i64);
        for m in &summary.metrics_24h {
            let values: Vec<f64> = window
                .iter()
                .filter(|r| r.metric == m.metric)
                .map(|r| r.value)
                .collect();
            assert_eq!(m.count, values.len() as i64, "{:?}", m.metric);
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            assert!((m.mean.unwrap() - mean).abs() < 1e-9, "{:?}", m.metric);
            let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
            let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(m.min, Some(min));
            assert_eq!(m.max, Some(max));
        }
        let metrics: Vec<Metric> = summary.metrics_24h.iter().map(|m| m.metric).collect();
        assert_eq!(metrics, [Metric::FlowRate, Metric::Pressure, Metric::Level]);
        let newest = rows.iter().map(|r| r.ts).max().unwrap();
        for node in &summary.nodes {
            if let Some(p) = node.pressure {
                assert_eq!(p.at, newest, "{}", node.external_id);
            }
        }
        assert_eq!(summary.node_count, 7);
    })
    .await;
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct Bucket {
    node_id: i64,
    metric: i16,
    count: i64,
    min_value: f64,
    max_value: f64,
    sum_value: f64,
    last_value: f64,
}

async fn buckets(db: &DatabaseConnection, table: &str) -> Vec<Bucket> {
    use sea_orm::FromQueryResult;
    Bucket::find_by_statement(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!(
            "SELECT node_id, metric, count, min_value, max_value, sum_value, last_value \
             FROM {table} ORDER BY node_id, metric, bucket"
        ),
    ))
    .all(db)
    .await
    .unwrap()
}

/// Rollups computed independently from the rows in Rust, bucketed by `width`.
fn expected(rows: &[NewReading], width: Duration) -> Vec<(i64, i16, i64, f64, f64, f64, f64)> {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<(i64, i16, i64), Vec<&NewReading>> = BTreeMap::new();
    for r in rows {
        let bucket = r.ts.timestamp().div_euclid(width.num_seconds());
        groups
            .entry((r.node_id, r.metric.code(), bucket))
            .or_default()
            .push(r);
    }
    groups
        .into_iter()
        .map(|((node, metric, _), rs)| {
            let values: Vec<f64> = rs.iter().map(|r| r.value).collect();
            let last = rs.iter().max_by_key(|r| r.ts).unwrap().value;
            (
                node,
                metric,
                values.len() as i64,
                values.iter().cloned().fold(f64::INFINITY, f64::min),
                values.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                values.iter().sum(),
                last,
            )
        })
        .collect()
}

/// Both rollup tables equal aggregates computed from `rows`.
pub(crate) async fn assert_rollups(db: &DatabaseConnection, rows: &[NewReading]) {
    assert_buckets(
        &buckets(db, "readings_hourly").await,
        &expected(rows, Duration::hours(1)),
    );
    assert_buckets(
        &buckets(db, "readings_daily").await,
        &expected(rows, Duration::days(1)),
    );
}

fn assert_buckets(actual: &[Bucket], expected: &[(i64, i16, i64, f64, f64, f64, f64)]) {
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert_eq!((a.node_id, a.metric, a.count), (e.0, e.1, e.2));
        assert_eq!((a.min_value, a.max_value, a.last_value), (e.3, e.4, e.6));
        assert!(
            (a.sum_value - e.5).abs() < 1e-6,
            "{} vs {}",
            a.sum_value,
            e.5
        );
    }
}

#[tokio::test]
async fn rollups_equal_aggregates_of_the_raw_rows_and_follow_corrections() {
    each_engine(|db| async move {
        let (_, demo) = state_with_demo(&db).await;
        let now = at("2026-03-04T10:07:00Z");
        let mut rows = feed::readings_between(&demo, now - Duration::hours(60), now);
        upsert(&db, demo.tenant_id, &rows).await.unwrap();
        server::storage::rollups::refresh(&db).await.unwrap();
        assert_rollups(&db, &rows).await;
        assert_eq!(
            server::storage::rollups::refresh(&db).await.unwrap(),
            0,
            "queue not cleared"
        );

        // Correct one reading: only its hour is queued, and both rollups follow.
        rows[5].value += 100.0;
        let counts = upsert(&db, demo.tenant_id, &rows).await.unwrap();
        assert_eq!((counts.inserted, counts.updated), (0, 1));
        assert_eq!(server::storage::rollups::refresh(&db).await.unwrap(), 1);
        assert_rollups(&db, &rows).await;

        // Corrections far apart in time, in different series: each is recomputed (on
        // PostgreSQL the tenant's spans merge into separate time ranges, one scan each).
        let last = rows.len() - 1;
        for i in [0, last / 2, last] {
            rows[i].value += 7.5;
        }
        let counts = upsert(&db, demo.tenant_id, &rows).await.unwrap();
        assert_eq!((counts.inserted, counts.updated), (0, 3));
        assert_eq!(server::storage::rollups::refresh(&db).await.unwrap(), 3);
        assert_rollups(&db, &rows).await;
    })
    .await;
}

#[tokio::test]
async fn retention_deletes_old_raw_readings_and_keeps_their_rollups() {
    each_engine(|db| async move {
        let (_, demo) = state_with_demo(&db).await;
        let now = at("2026-06-01T00:00:00Z");
        let node = demo.node_ids["P01"];
        let rows: Vec<NewReading> = (0..100)
            .map(|d| NewReading {
                node_id: node,
                metric: Metric::Pressure,
                ts: now - Duration::days(d) - Duration::minutes(30),
                value: 3.0 + d as f64 / 100.0,
                quality: 0,
            })
            .collect();
        upsert(&db, demo.tenant_id, &rows).await.unwrap();
        let purged = server::storage::retention::apply(&db, now).await.unwrap();
        let ours = purged
            .iter()
            .find(|p| p.tenant_id == demo.tenant_id)
            .unwrap();
        // Days 90..99 are older than 90 days (each sits 30 minutes before midnight).
        assert_eq!(ours.deleted, 10);
        assert_eq!(readings_table::Entity::find().count(&db).await.unwrap(), 90);
        assert_eq!(
            buckets(&db, "readings_daily").await.len(),
            100,
            "rollups must be kept"
        );
    })
    .await;
}

#[tokio::test]
async fn closed_months_get_an_index_by_series_and_the_current_month_does_not() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    let node = demo.node_ids["P01"];
    let reading = |ts: &str| NewReading {
        node_id: node,
        metric: Metric::Pressure,
        ts: at(ts),
        value: 3.2,
        quality: 0,
    };
    let rows = [
        reading("2026-01-31T23:45:00Z"),
        reading("2026-02-10T08:00:00Z"),
        reading("2026-03-02T08:00:00Z"),
    ];
    upsert(&db, demo.tenant_id, &rows).await.unwrap();
    let now = at("2026-03-04T10:00:00Z");
    let created = server::storage::partitions::index_closed_months(&db, now)
        .await
        .unwrap();
    assert_eq!(created, 2, "January and February have ended");
    let names: Vec<String> = db
        .query_all(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'readings_y%_series' \
             ORDER BY indexname",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "indexname").unwrap())
        .collect();
    assert_eq!(
        names,
        ["readings_y2026m01_series", "readings_y2026m02_series"]
    );
    assert_eq!(
        server::storage::partitions::index_closed_months(&db, now)
            .await
            .unwrap(),
        0,
        "built once"
    );
    // Writes into an indexed month still land once.
    let again = upsert(&db, demo.tenant_id, &rows).await.unwrap();
    assert_eq!((again.inserted, again.unchanged), (0, 3));
    t.drop_db().await;
}

#[tokio::test]
async fn hourly_rollups_move_into_monthly_partitions_and_back() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    // Before migration 000014 (and those that follow it): one readings partition (March) and
    // hourly rollups in March and in May (whose raw readings would have been purged).
    let after_14 = Migrator::migrations().len() as u32 - 13;
    Migrator::down(&db, Some(after_14)).await.unwrap();
    db.execute_unprepared(
        "CREATE TABLE readings_y2026m03 PARTITION OF readings
             FOR VALUES FROM ('2026-03-01 00:00:00+00') TO ('2026-04-01 00:00:00+00');
         INSERT INTO readings_hourly VALUES
             (1, 10, 1, '2026-03-31 23:00:00+00', 4, 1.0, 2.0, 6.0, '2026-03-31 23:45:00+00', 2.0),
             (1, 10, 1, '2026-05-02 08:00:00+00', 2, 3.0, 5.0, 8.0, '2026-05-02 08:15:00+00', 5.0)",
    )
    .await
    .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let partitions = pg_strings(
        &db,
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'readings_hourly'::regclass ORDER BY 1",
    )
    .await;
    assert_eq!(
        partitions,
        [
            "readings_hourly_default",
            "readings_hourly_y2026m03",
            "readings_hourly_y2026m05"
        ]
    );
    let placed = pg_strings(
        &db,
        "SELECT tableoid::regclass::text || ':' || count FROM readings_hourly ORDER BY bucket",
    )
    .await;
    assert_eq!(
        placed,
        ["readings_hourly_y2026m03:4", "readings_hourly_y2026m05:2"]
    );
    // And back: one plain table with the same rows.
    Migrator::down(&db, Some(after_14)).await.unwrap();
    let kind = pg_strings(
        &db,
        "SELECT relkind::text FROM pg_class WHERE relname = 'readings_hourly'",
    )
    .await;
    assert_eq!(kind, ["r"]);
    let rows = pg_strings(&db, "SELECT count(*)::text FROM readings_hourly").await;
    assert_eq!(rows, ["2"]);
    t.drop_db().await;
}

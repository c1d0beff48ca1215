//! Row-level security, the second wall (PostgreSQL): every tenant table is behind the
//! policy, a tenant-scoped transaction sees and writes only its tenant's rows even when the
//! query names no tenant, and the request paths really run inside such a scope.

use crate::support::*;
use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use server::storage::readings::{upsert, NewReading};
use server::storage::tenant_scope;
use shared::series::SeriesQuery;
use shared::Metric;

/// Tables of the current schema with a `tenant_id` column (partitions excluded).
async fn tenant_tables(db: &DatabaseConnection) -> Vec<String> {
    pg_strings(
        db,
        "SELECT c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
         AND NOT c.relispartition ORDER BY 1",
    )
    .await
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    db.query_one(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// The demo tenant with a day of readings, and tenant "other" with one node and readings.
async fn two_tenants(db: &DatabaseConnection) -> (i64, i64, i64) {
    let (_, demo) = state_with_demo(db).await;
    fill_demo(db, &demo, Utc::now()).await;
    let other = new_tenant(db, "other").await;
    server::ingest::import_nodes(
        db,
        other,
        "node_id,name,kind,lat,lon,district\nB1,Other logger,pressure,39.1,9.1,DMA-B\n".as_bytes(),
    )
    .await
    .unwrap();
    let b_node = server::ingest::import::node_map(db, other).await.unwrap()["B1"];
    let now = Utc::now();
    let rows: Vec<NewReading> = (0..24)
        .map(|i| NewReading {
            node_id: b_node,
            metric: Metric::Pressure,
            ts: now - Duration::hours(i),
            value: 4.0,
            quality: 0,
        })
        .collect();
    upsert(db, other, &rows).await.unwrap();
    (demo.tenant_id, other, b_node)
}

#[tokio::test]
async fn every_tenant_table_is_behind_the_policy() {
    let t = TestDb::postgres().await;
    let tables = tenant_tables(&t.db).await;
    for expected in [
        "readings",
        "readings_hourly",
        "nodes",
        "incidents",
        "audit_log",
    ] {
        assert!(
            tables.iter().any(|t| t == expected),
            "{expected} in {tables:?}"
        );
    }
    let unprotected = pg_strings(
        &t.db,
        "SELECT c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
         AND NOT c.relispartition AND (NOT c.relrowsecurity OR NOT EXISTS \
             (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_rows'))",
    )
    .await;
    assert_eq!(
        unprotected,
        Vec::<String>::new(),
        "tables without the policy"
    );
    assert!(tenant_scope::enforced(&t.db).await.unwrap());
    t.drop_db().await;
}

#[tokio::test]
async fn a_scoped_transaction_sees_and_writes_only_its_tenant() {
    let t = TestDb::postgres().await;
    let (a, b, b_node) = two_tenants(&t.db).await;
    // Without a scope (the owner: jobs, imports) both tenants are there.
    assert_eq!(
        count(&t.db, "SELECT COUNT(DISTINCT tenant_id) FROM nodes").await,
        2
    );
    assert_eq!(
        count(&t.db, "SELECT COUNT(DISTINCT tenant_id) FROM readings").await,
        2
    );
    for (me, other) in [(a, b), (b, a)] {
        let txn = tenant_scope::begin(&t.db, me).await.unwrap();
        for table in tenant_tables(&t.db).await {
            let foreign = count(
                &txn,
                &format!("SELECT COUNT(*) FROM {table} WHERE tenant_id <> {me}"),
            )
            .await;
            assert_eq!(foreign, 0, "{table}: rows of another tenant seen by {me}");
        }
        // Its own rows are all there: the unscoped count of the same tenant.
        for table in ["nodes", "readings", "readings_hourly", "latest_readings"] {
            let scoped = count(&txn, &format!("SELECT COUNT(*) FROM {table}")).await;
            let owned = count(
                &t.db,
                &format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = {me}"),
            )
            .await;
            assert!(owned > 0, "{table} has rows of {me}");
            assert_eq!(scoped, owned, "{table} as seen by {me}");
        }
        assert_eq!(
            count(&txn, "SELECT COUNT(*) FROM tenants").await,
            1,
            "one tenant row"
        );
        // Writing a row of the other tenant is refused by the database.
        let err = txn
            .execute_unprepared(&format!(
                "INSERT INTO readings (tenant_id, node_id, metric, ts, value, quality) \
                 VALUES ({other}, {b_node}, 2, now(), 1.0, 0)"
            ))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("row-level security"),
            "refused by the policy: {err}"
        );
    }
    // A scope that never set its tenant sees nothing at all.
    let txn = t.db.begin().await.unwrap();
    txn.execute_unprepared(&format!("SET LOCAL ROLE {}", migrations::TENANT_ROLE))
        .await
        .unwrap();
    assert_eq!(count(&txn, "SELECT COUNT(*) FROM readings").await, 0);
    assert_eq!(count(&txn, "SELECT COUNT(*) FROM nodes").await, 0);
    drop(txn);
    t.drop_db().await;
}

#[tokio::test]
async fn request_paths_read_through_the_scope() {
    let t = TestDb::postgres().await;
    let (a, _, _) = two_tenants(&t.db).await;
    let node = count(
        &t.db,
        &format!("SELECT MIN(node_id) FROM latest_readings WHERE tenant_id = {a}"),
    )
    .await;
    let series = server::series::SeriesService::new(t.db.clone());
    let dashboard = server::dashboard::DashboardService::new(t.db.clone());
    let now = Utc::now();
    let query = SeriesQuery {
        node_id: node,
        metric: Metric::Pressure,
        from: now - Duration::hours(24),
        to: now,
        max_points: None,
    };
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let before = series.series_for(a, query.clone()).await.unwrap();
    assert!(before.stats.count > 0);
    assert!(dashboard.summary_at(a, "demo", now).await.is_ok());
    // Take the scope's role away from one table: a path that reads through the scope now
    // fails, which it would not if it read as the owner.
    t.db.execute_unprepared(&format!(
        "REVOKE SELECT ON readings FROM {}",
        migrations::TENANT_ROLE
    ))
    .await
    .unwrap();
    assert!(series.series_for(a, query.clone()).await.is_err());
    assert!(dashboard.summary_at(a, "demo", now).await.is_err());
    t.db.execute_unprepared(&format!(
        "GRANT SELECT ON readings TO {}",
        migrations::TENANT_ROLE
    ))
    .await
    .unwrap();
    let after = series.series_for(a, query).await.unwrap();
    assert_eq!(after.stats.count, before.stats.count);
    t.drop_db().await;
}

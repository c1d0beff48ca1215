//! Bulk loads of months without a partition (PostgreSQL): attached whole with their key and
//! rollups, or applied row by row when that is impossible; never a duplicate or a loss.

use crate::storage::assert_rollups;
use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use server::demo::feed;
use server::storage::entities::{latest_readings, readings as readings_table};
use server::storage::readings::{upsert, BulkLoad, NewReading};
use std::collections::HashMap;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The partitions of `readings` and any load table left behind.
async fn tables(db: &DatabaseConnection) -> (Vec<String>, Vec<String>) {
    let partitions = pg_strings(
        db,
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'readings'::regclass ORDER BY 1",
    )
    .await;
    let loads = pg_strings(
        db,
        "SELECT relname::text FROM pg_class WHERE relname LIKE 'readings%load%' AND relkind = 'r'",
    )
    .await;
    (partitions, loads)
}

/// Loads `batches` through a bulk load, sending what it gives back through the ordinary path.
async fn bulk_load(
    db: &DatabaseConnection,
    tenant_id: i64,
    batches: Vec<Vec<NewReading>>,
) -> (u64, u64, u64) {
    let mut bulk = BulkLoad::start(db, tenant_id)
        .await
        .unwrap()
        .expect("partitioned");
    let (mut inserted, mut updated, mut unchanged) = (0, 0, 0);
    for batch in batches {
        let rest = bulk.take(batch).await.unwrap();
        let c = upsert(db, tenant_id, &rest).await.unwrap();
        (inserted, updated, unchanged) = (
            inserted + c.inserted,
            updated + c.updated,
            unchanged + c.unchanged,
        );
    }
    let done = bulk.finish().await.unwrap();
    (
        inserted + done.counts.inserted,
        updated + done.counts.updated,
        unchanged + done.counts.unchanged,
    )
}

/// The stored value of every key, and the latest table, against `rows` (last one wins).
async fn assert_stored(db: &DatabaseConnection, rows: &[NewReading]) {
    let mut want: HashMap<(i64, i16, DateTime<Utc>), f64> = HashMap::new();
    for r in rows {
        want.insert((r.node_id, r.metric.code(), r.ts), r.value);
    }
    let stored = readings_table::Entity::find().all(db).await.unwrap();
    assert_eq!(stored.len(), want.len());
    for s in &stored {
        assert_eq!(
            want.get(&(s.node_id, s.metric, s.ts.with_timezone(&Utc))),
            Some(&s.value),
            "{s:?}"
        );
    }
    let mut newest: HashMap<(i64, i16), (DateTime<Utc>, f64)> = HashMap::new();
    for ((node, metric, ts), value) in &want {
        let slot = newest.entry((*node, *metric)).or_insert((*ts, *value));
        if *ts > slot.0 {
            *slot = (*ts, *value);
        }
    }
    let latest = latest_readings::Entity::find().all(db).await.unwrap();
    assert_eq!(latest.len(), newest.len());
    for l in latest {
        assert_eq!(
            newest[&(l.node_id, l.metric)],
            (l.ts.with_timezone(&Utc), l.value)
        );
    }
}

/// The final rows of `rows` (last per key), for the rollup comparison.
fn last_per_key(rows: &[NewReading]) -> Vec<NewReading> {
    let mut map: HashMap<(i64, i16, DateTime<Utc>), NewReading> = HashMap::new();
    for r in rows {
        map.insert((r.node_id, r.metric.code(), r.ts), *r);
    }
    let mut out: Vec<NewReading> = map.into_values().collect();
    out.sort_by_key(|r| (r.node_id, r.metric.code(), r.ts));
    out
}

#[tokio::test]
async fn new_months_are_attached_whole_and_existing_ones_take_the_ordinary_path() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    // November 2025 has no partition; December gets one from an earlier write.
    let rows = feed::readings_between(
        &demo,
        at("2025-11-29T00:00:00Z"),
        at("2025-12-02T00:00:00Z"),
    );
    let december: Vec<NewReading> = rows
        .iter()
        .filter(|r| r.ts >= at("2025-12-01T00:00:00Z"))
        .take(5)
        .copied()
        .collect();
    upsert(&db, demo.tenant_id, &december).await.unwrap();
    assert!(!tables(&db)
        .await
        .0
        .contains(&"readings_y2025m11".to_string()));
    let batches: Vec<Vec<NewReading>> = rows.chunks(700).map(<[_]>::to_vec).collect();
    let (inserted, updated, unchanged) = bulk_load(&db, demo.tenant_id, batches).await;
    assert_eq!(
        (inserted, updated, unchanged),
        (rows.len() as u64 - 5, 0, 5)
    );
    let (partitions, loads) = tables(&db).await;
    assert!(
        partitions.contains(&"readings_y2025m11".to_string()),
        "{partitions:?}"
    );
    assert!(loads.is_empty(), "{loads:?}");
    // The attached month has the table's key, under the partition's name.
    let key = pg_strings(
        &db,
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'readings_y2025m11'",
    )
    .await;
    assert_eq!(key, ["readings_y2025m11_pkey"]);
    // And its hourly rollups are the matching partition of `readings_hourly`.
    let hourly = pg_strings(
        &db,
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'readings_hourly'::regclass AND c.relname LIKE '%2025m11%'",
    )
    .await;
    assert_eq!(hourly, ["readings_hourly_y2025m11"]);
    let key = pg_strings(
        &db,
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'readings_hourly_y2025m11'",
    )
    .await;
    assert_eq!(key, ["readings_hourly_y2025m11_pkey"]);
    assert_stored(&db, &rows).await;
    server::storage::rollups::refresh(&db).await.unwrap();
    assert_rollups(&db, &rows).await;
    // Loading the same rows again changes nothing (the month now has a partition).
    let batches: Vec<Vec<NewReading>> = rows.chunks(700).map(<[_]>::to_vec).collect();
    let again = bulk_load(&db, demo.tenant_id, batches).await;
    assert_eq!(again, (0, 0, rows.len() as u64));
    assert_eq!(
        readings_table::Entity::find().count(&db).await.unwrap(),
        rows.len() as u64
    );
    t.drop_db().await;
}

#[tokio::test]
async fn batches_going_back_in_time_still_give_exact_rollups() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    let rows = feed::readings_between(
        &demo,
        at("2025-10-10T00:00:00Z"),
        at("2025-10-11T06:00:00Z"),
    );
    // Newest batch first: every series revisits hours it has left.
    let mut batches: Vec<Vec<NewReading>> = rows.chunks(500).map(<[_]>::to_vec).collect();
    batches.reverse();
    let counts = bulk_load(&db, demo.tenant_id, batches).await;
    assert_eq!(counts, (rows.len() as u64, 0, 0));
    assert!(tables(&db)
        .await
        .0
        .contains(&"readings_y2025m10".to_string()));
    assert_stored(&db, &rows).await;
    assert_rollups(&db, &rows).await;
    t.drop_db().await;
}

#[tokio::test]
async fn a_key_repeated_across_batches_is_applied_row_by_row_and_the_last_value_wins() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    let rows = feed::readings_between(
        &demo,
        at("2025-09-03T00:00:00Z"),
        at("2025-09-03T12:00:00Z"),
    );
    let mut corrected = rows[10];
    corrected.value += 1.25;
    let batches = vec![rows[..600].to_vec(), rows[600..].to_vec(), vec![corrected]];
    let counts = bulk_load(&db, demo.tenant_id, batches).await;
    // The key cannot be built, so the month goes through the ordinary path: the repeated
    // row is counted once as inserted and once as unchanged, and the later value is kept.
    assert_eq!(counts, (rows.len() as u64, 0, 1));
    let mut all = rows.clone();
    all.push(corrected);
    assert_stored(&db, &all).await;
    let (partitions, loads) = tables(&db).await;
    assert!(partitions.contains(&"readings_y2025m09".to_string()));
    assert!(loads.is_empty(), "{loads:?}");
    server::storage::rollups::refresh(&db).await.unwrap();
    assert_rollups(&db, &last_per_key(&all)).await;
    t.drop_db().await;
}

#[tokio::test]
async fn a_key_repeated_within_a_batch_keeps_the_last_value_and_the_month_is_still_attached() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    let rows = feed::readings_between(
        &demo,
        at("2025-08-03T00:00:00Z"),
        at("2025-08-03T12:00:00Z"),
    );
    let mut corrected = rows[10];
    corrected.value += 2.5;
    // One batch, out of key order: the correction comes after the row it repeats.
    let mut batch = rows[..600].to_vec();
    batch.push(corrected);
    batch.extend_from_slice(&rows[600..]);
    let counts = bulk_load(&db, demo.tenant_id, vec![batch]).await;
    assert_eq!(counts, (rows.len() as u64, 0, 1));
    let mut all = rows.clone();
    all.push(corrected);
    assert_stored(&db, &all).await;
    let (partitions, loads) = tables(&db).await;
    assert!(partitions.contains(&"readings_y2025m08".to_string()));
    assert!(loads.is_empty(), "{loads:?}");
    assert_rollups(&db, &last_per_key(&all)).await;
    t.drop_db().await;
}

#[tokio::test]
async fn a_partition_created_meanwhile_by_another_writer_loses_nothing() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    let rows = feed::readings_between(
        &demo,
        at("2025-08-05T00:00:00Z"),
        at("2025-08-05T08:00:00Z"),
    );
    let mut bulk = BulkLoad::start(&db, demo.tenant_id).await.unwrap().unwrap();
    let rest = bulk.take(rows.clone()).await.unwrap();
    assert!(
        rest.is_empty(),
        "August has no partition: the load takes it"
    );
    // Meanwhile a live writer stores one of the same keys with another value, and a new one:
    // it creates the month's partition (not blocked by the load).
    let mut live = rows[3];
    live.value += 2.0;
    let mut extra = rows[rows.len() - 1];
    extra.ts += Duration::minutes(1);
    let c = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        upsert(&db, demo.tenant_id, &[live, extra]),
    )
    .await
    .expect("the live writer was blocked by the load")
    .unwrap();
    assert_eq!(c.inserted, 2);
    let done = bulk.finish().await.unwrap();
    // The attach is impossible now; the load's rows are upserted: one replaces the live value.
    assert_eq!(
        (
            done.counts.inserted,
            done.counts.updated,
            done.counts.unchanged
        ),
        (rows.len() as u64 - 1, 1, 0)
    );
    let mut all = vec![live, extra];
    all.extend(rows.iter().copied());
    assert_stored(&db, &all).await;
    server::storage::rollups::refresh(&db).await.unwrap();
    assert_rollups(&db, &last_per_key(&all)).await;
    assert!(tables(&db).await.1.is_empty());
    t.drop_db().await;
}

#[tokio::test]
async fn an_abandoned_load_leaves_nothing_behind() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    let rows = feed::readings_between(
        &demo,
        at("2025-07-01T00:00:00Z"),
        at("2025-07-01T06:00:00Z"),
    );
    let mut bulk = BulkLoad::start(&db, demo.tenant_id).await.unwrap().unwrap();
    assert!(bulk.take(rows.clone()).await.unwrap().is_empty());
    assert_eq!(bulk.pending(), rows.len() as u64);
    drop(bulk);
    // The transaction rolls back when its connection goes back to the pool.
    let mut left = (vec![String::new()], vec![String::new()]);
    for _ in 0..50 {
        left = tables(&db).await;
        if left.1.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(left.1.is_empty(), "{:?}", left.1);
    assert!(!left.0.contains(&"readings_y2025m07".to_string()));
    assert_eq!(readings_table::Entity::find().count(&db).await.unwrap(), 0);
    let again = bulk_load(&db, demo.tenant_id, vec![rows.clone()]).await;
    assert_eq!(again, (rows.len() as u64, 0, 0));
    assert_stored(&db, &rows).await;
    t.drop_db().await;
}

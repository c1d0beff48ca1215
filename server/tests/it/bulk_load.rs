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

/// Load tables committed so far (visible to other sessions), with their key if built and the
/// mark of the load that owns them.
async fn committed_loads(db: &DatabaseConnection) -> Vec<(String, bool, bool)> {
    let rows = pg_strings(
        db,
        "SELECT c.relname::text || ' ' || EXISTS (SELECT 1 FROM pg_index i \
             WHERE i.indrelid = c.oid AND i.indisprimary)::text || ' ' \
             || (obj_description(c.oid, 'pg_class') LIKE 'roccavina bulk load in transaction %')::text \
         FROM pg_class c WHERE c.relname LIKE 'readings%load%' AND c.relkind = 'r' ORDER BY 1",
    )
    .await;
    rows.iter()
        .map(|r| {
            let parts: Vec<&str> = r.split(' ').collect();
            (parts[0].to_string(), parts[1] == "true", parts[2] == "true")
        })
        .collect()
}

/// Waits (up to 10 s) until `n` load tables are committed with their keys.
async fn wait_for_keyed(db: &DatabaseConnection, n: usize) -> Vec<(String, bool, bool)> {
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = committed_loads(db).await;
        if seen.iter().filter(|(_, keyed, _)| *keyed).count() == n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    seen
}

#[tokio::test]
async fn a_month_left_behind_is_keyed_before_the_end_and_its_late_rows_still_count() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    // May 2025 then June 2025, in time order, as a file runs.
    let rows = feed::readings_between(
        &demo,
        at("2025-05-31T16:00:00Z"),
        at("2025-06-01T08:00:00Z"),
    );
    let june = rows
        .iter()
        .position(|r| r.ts >= at("2025-06-01T00:00:00Z"))
        .unwrap();
    let mut bulk = BulkLoad::start(&db, demo.tenant_id).await.unwrap().unwrap();
    // May, then a batch across the boundary: both months still loading.
    assert!(bulk
        .take(rows[..june - 100].to_vec())
        .await
        .unwrap()
        .is_empty());
    assert!(bulk
        .take(rows[june - 100..june + 100].to_vec())
        .await
        .unwrap()
        .is_empty());
    assert!(
        committed_loads(&db).await.is_empty(),
        "nothing is committed while May may still get rows"
    );
    // A batch of June only: May is complete, and its tables are keyed and committed on their
    // own connection while June goes on loading.
    assert!(bulk
        .take(rows[june + 100..].to_vec())
        .await
        .unwrap()
        .is_empty());
    let seen = wait_for_keyed(&db, 2).await;
    let names: Vec<&str> = seen.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2, "{seen:?}");
    assert!(
        names[0].starts_with("readings_hourly_y2025m05_load"),
        "{seen:?}"
    );
    assert!(names[1].starts_with("readings_y2025m05_load"), "{seen:?}");
    assert!(
        seen.iter().all(|(_, keyed, marked)| *keyed && *marked),
        "{seen:?}"
    );
    // They belong to a load that is still running: not orphans.
    let pool = db.get_postgres_connection_pool();
    assert_eq!(
        server::storage::readings::drop_orphans(pool).await.unwrap(),
        0
    );
    assert_eq!(committed_loads(&db).await.len(), 2);
    // Late rows for May: a corrected value and a reading at a new time.
    let mut corrected = rows[5];
    corrected.value += 1.5;
    let mut new_time = rows[june - 1];
    new_time.ts += Duration::minutes(1);
    assert!(bulk
        .take(vec![corrected, new_time])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(bulk.pending(), rows.len() as u64 + 2);
    let done = bulk.finish().await.unwrap();
    assert_eq!(
        (
            done.counts.inserted,
            done.counts.updated,
            done.counts.unchanged
        ),
        (rows.len() as u64 + 1, 1, 0)
    );
    let mut all = rows.clone();
    all.extend([corrected, new_time]);
    assert_stored(&db, &all).await;
    let (partitions, loads) = tables(&db).await;
    for month in ["readings_y2025m05", "readings_y2025m06"] {
        assert!(partitions.contains(&month.to_string()), "{partitions:?}");
    }
    assert!(loads.is_empty(), "{loads:?}");
    // The attached partitions no longer carry the load's mark.
    let marks = pg_strings(
        &db,
        "SELECT c.relname::text FROM pg_class c WHERE c.relname LIKE 'readings%2025m0%' \
         AND obj_description(c.oid, 'pg_class') IS NOT NULL",
    )
    .await;
    assert!(marks.is_empty(), "{marks:?}");
    server::storage::rollups::refresh(&db).await.unwrap();
    assert_rollups(&db, &last_per_key(&all)).await;
    t.drop_db().await;
}

#[tokio::test]
async fn an_interrupted_load_leaves_only_tables_that_the_next_load_drops() {
    let t = TestDb::postgres().await;
    let db = t.db.clone();
    let (_, demo) = state_with_demo(&db).await;
    let rows = feed::readings_between(
        &demo,
        at("2025-04-30T20:00:00Z"),
        at("2025-05-01T04:00:00Z"),
    );
    let may = rows
        .iter()
        .position(|r| r.ts >= at("2025-05-01T00:00:00Z"))
        .unwrap();
    let mut bulk = BulkLoad::start(&db, demo.tenant_id).await.unwrap().unwrap();
    assert!(bulk.take(rows[..may].to_vec()).await.unwrap().is_empty());
    assert!(bulk.take(rows[may..].to_vec()).await.unwrap().is_empty());
    assert_eq!(wait_for_keyed(&db, 2).await.len(), 2, "April is committed");
    // The import dies: its transaction rolls back, April's committed tables stay.
    drop(bulk);
    let mut left = Vec::new();
    for _ in 0..50 {
        left = committed_loads(&db).await;
        if left.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(
        left.iter().all(|(n, _, _)| n.contains("2025m04")),
        "{left:?}"
    );
    assert_eq!(readings_table::Entity::find().count(&db).await.unwrap(), 0);
    // The next load drops them (their backend is gone) and stores everything once.
    let mut gone = false;
    for _ in 0..50 {
        // (The old backend may take a moment to end after its connection closed.)
        if server::storage::readings::drop_orphans(db.get_postgres_connection_pool())
            .await
            .unwrap()
            == 2
        {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "{:?}", committed_loads(&db).await);
    let again = bulk_load(
        &db,
        demo.tenant_id,
        vec![rows[..may].to_vec(), rows[may..].to_vec()],
    )
    .await;
    assert_eq!(again, (rows.len() as u64, 0, 0));
    assert_stored(&db, &rows).await;
    assert!(tables(&db).await.1.is_empty());
    assert_rollups(&db, &rows).await;
    t.drop_db().await;
}

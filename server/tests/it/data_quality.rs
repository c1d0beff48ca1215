//! The data quality job: its figures on a day with a gap, a stuck and a silent sensor, and a
//! late run of the daily tick.

use crate::jobs::{at, scheduler};
use crate::support::*;
use chrono::{Duration, NaiveDate};
use sea_orm::EntityTrait;
use server::demo::feed;
use server::jobs::data_quality;
use server::storage::entities::latest_readings;
use server::storage::readings::{upsert, NewReading};
use shared::Metric;
use std::sync::Arc;

#[tokio::test]
async fn data_quality_finds_the_gap_the_stuck_sensor_and_the_silent_one() {
    each_engine(|db| async move {
        let (_, demo) = state_with_demo(&db).await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        let start = at("2026-03-04T00:00:00Z");
        let (p01, p02, t01) = (
            demo.node_ids["P01"],
            demo.node_ids["P02"],
            demo.node_ids["T01"],
        );
        let rows: Vec<NewReading> = feed::readings_between(
            &demo,
            start - Duration::minutes(5),
            start + Duration::hours(30),
        )
        .into_iter()
        // A gap: P01 pressure silent from 10:00 to 12:00.
        .filter(|r| {
            !(r.node_id == p01
                && r.ts > start + Duration::hours(10)
                && r.ts < start + Duration::hours(12))
        })
        // A silent sensor: the tank stops reporting at 20:00.
        .filter(|r| !(r.node_id == t01 && r.ts > start + Duration::hours(20)))
        // A stuck sensor: P02 repeats 3.3 bar from 13:00 to 15:00.
        .map(|mut r| {
            if r.node_id == p02
                && r.ts >= start + Duration::hours(13)
                && r.ts <= start + Duration::hours(15)
            {
                r.value = 3.3;
            }
            r
        })
        .collect();
        upsert(&db, demo.tenant_id, &rows).await.unwrap();
        let series = latest_readings::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .len() as i64;
        let now = at("2026-03-05T06:00:00Z");
        let report = data_quality::compute(&db, demo.tenant_id, day, now, 4)
            .await
            .unwrap();
        assert_eq!(report.series, series);
        assert_eq!(report.worst.len() as i64, series, "every series listed");
        let find = |node: i64, metric: Metric| {
            report
                .worst
                .iter()
                .find(|s| s.node_id == node && s.metric == metric)
                .unwrap()
                .clone()
        };
        let gap = find(p01, Metric::Pressure);
        assert_eq!((gap.interval_secs, gap.expected), (300, 288));
        assert_eq!(gap.received, 288 - 23);
        assert_eq!(gap.gap_count, 1);
        assert_eq!(gap.gaps[0].start, start + Duration::hours(10));
        assert_eq!(gap.gaps[0].minutes, 120);
        assert!((gap.score - 100.0 * 265.0 / 288.0).abs() < 1e-9);
        let stuck = find(p02, Metric::Pressure);
        assert!(stuck.flatline);
        assert_eq!(stuck.longest_flatline, 25);
        assert!(!stuck.stale);
        let silent = find(t01, Metric::Level);
        assert!(silent.stale);
        assert_eq!(silent.score, 0.0);
        assert_eq!(silent.received, 241);
        assert_eq!(silent.gaps[0].minutes, 240);
        let healthy = report
            .worst
            .iter()
            .filter(|s| s.score == 100.0 && !s.flatline && !s.stale)
            .count() as i64;
        assert_eq!(healthy, series - 3);
        assert_eq!(report.stale_series, 1);
        assert_eq!(report.flatline_series, 1);
        let mean = report.worst.iter().map(|s| s.score).sum::<f64>() / series as f64;
        assert!((report.score - mean).abs() < 1e-9);
        assert_eq!(report.worst[0].node_id, t01, "the silent tank is worst");

        data_quality::store(&db, demo.tenant_id, &report)
            .await
            .unwrap();
        let back = data_quality::stored(&db, demo.tenant_id, None)
            .await
            .unwrap();
        assert_eq!(back, Some(report));
    })
    .await;
}

#[tokio::test]
async fn a_late_run_of_the_daily_report_does_not_call_the_mornings_readings_future() {
    each_engine(|db| async move {
        let (_, demo) = state_with_demo(&db).await;
        // Readings up to 12:00 on the 5th; the 06:00 tick checking the 4th runs only then
        // (caught up at start-up).
        let rows = feed::readings_between(
            &demo,
            at("2026-03-03T23:00:00Z"),
            at("2026-03-05T12:00:00Z"),
        );
        upsert(&db, demo.tenant_id, &rows).await.unwrap();
        let quality = scheduler(&db, Arc::new(data_quality::DataQuality), "replica-a");
        let ran = quality
            .tick(
                Arc::new(data_quality::DataQuality),
                at("2026-03-05T06:00:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(ran, 1);
        let report = data_quality::stored(&db, demo.tenant_id, None)
            .await
            .unwrap()
            .expect("a report");
        assert_eq!(report.day, NaiveDate::from_ymd_opt(2026, 3, 4).unwrap());
        assert_eq!(report.future_readings, 0);
        assert!(report.worst.iter().all(|s| s.future == 0 && !s.stale));
        assert!(
            (report.completeness - 1.0).abs() < 1e-9,
            "{}",
            report.completeness
        );
    })
    .await;
}

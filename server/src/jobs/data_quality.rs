//! The daily data quality check (06:00): per node and metric over the previous UTC day,
//! completeness against the node's reporting interval, gaps, stuck (flatlined) sensors,
//! sensors gone quiet, values outside the physical range, readings flagged bad by their
//! source, and timestamps in the future. The report is stored per tenant and day.
//!
//! Duplicates cannot be stored (the readings' unique key folds a repeated reading into the
//! stored one), so they are counted where they arrive: the import report's `unchanged`.

use super::{Job, JobContext, JobReport};
use crate::storage::entities::{data_quality_reports, latest_readings, nodes};
use crate::storage::sql::stmt;
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter,
};
use shared::quality::{DataQualityReport, Gap, SeriesQuality};
use shared::Metric;
use std::collections::HashMap;

/// One stored reading of a series: time, value, quality flags.
pub type Point = (DateTime<Utc>, f64, i32);

/// Reporting interval assumed when neither the node nor its data says.
pub(crate) const DEFAULT_INTERVAL_SECS: i64 = 900;
/// Identical consecutive readings that make a sensor "stuck".
const FLATLINE_READINGS: i64 = 12;
/// Series listed as worst offenders.
const WORST: usize = 20;

/// Computes and stores the previous day's data quality report.
pub struct DataQuality;

#[async_trait]
impl Job for DataQuality {
    fn name(&self) -> &'static str {
        "data_quality"
    }

    fn description(&self) -> &'static str {
        "Checks yesterday's data per sensor: completeness, gaps, stuck and silent sensors"
    }

    fn catches_up(&self) -> bool {
        true
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let day = (ctx.scheduled_at - Duration::days(1)).date_naive();
        // Future timestamps and silent sensors are judged against the clock when the check
        // runs: a tick run late (caught up at start-up) must not call the morning's readings
        // "future".
        let now = Utc::now().max(ctx.scheduled_at);
        let report = compute(
            &ctx.db,
            ctx.tenant_id,
            day,
            now,
            ctx.settings.stale_intervals,
        )
        .await?;
        store(&ctx.db, ctx.tenant_id, &report).await?;
        Ok(JobReport {
            rows: report.worst.len() as u64,
            detail: format!(
                "{day}: score {:.1}, {} series, {} complete, {} stale, {} stuck, {} gaps",
                report.score,
                report.series,
                report.complete_series,
                report.stale_series,
                report.flatline_series,
                report.gaps
            ),
        })
    }
}

#[derive(FromQueryResult)]
struct Row {
    node_id: i64,
    metric: i16,
    ts: DateTime<Utc>,
    value: f64,
    quality: i32,
}

#[derive(FromQueryResult)]
struct Count {
    node_id: i64,
    metric: i16,
    n: i64,
}

/// The reporting interval a node's metadata configures (`interval_secs`), if any.
pub(crate) fn configured_interval(metadata: Option<&serde_json::Value>) -> Option<i64> {
    metadata?.get("interval_secs")?.as_i64().filter(|s| *s > 0)
}

/// The median step between readings.
fn inferred_interval(ts: &[DateTime<Utc>]) -> Option<i64> {
    let mut steps: Vec<i64> = ts
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .filter(|s| *s > 0)
        .collect();
    if steps.is_empty() {
        return None;
    }
    steps.sort_unstable();
    Some(steps[steps.len() / 2])
}

/// Examines one series of the day (`rows` in time order).
#[allow(clippy::too_many_arguments)]
pub fn examine(
    node: &nodes::Model,
    metric: Metric,
    rows: &[Point],
    day_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    last_seen: Option<DateTime<Utc>>,
    future: i64,
    stale_intervals: i64,
) -> SeriesQuality {
    let ts: Vec<DateTime<Utc>> = rows.iter().map(|r| r.0).collect();
    let interval = configured_interval(node.metadata.as_ref())
        .or_else(|| inferred_interval(&ts))
        .unwrap_or(DEFAULT_INTERVAL_SECS);
    let span = (period_end - day_start).num_seconds().max(0);
    let expected = (span / interval).max(1);
    let received = rows.len() as i64;
    let completeness = (received as f64 / expected as f64).min(1.0);
    // Gaps: any step over 1.5 intervals, the edges of the period counting as steps.
    let mut edges = vec![day_start];
    edges.extend(ts.iter().copied());
    edges.push(period_end);
    let mut gaps: Vec<Gap> = edges
        .windows(2)
        .filter(|w| (w[1] - w[0]).num_seconds() * 2 > interval * 3)
        .map(|w| {
            let start = w[0].max(day_start);
            let end = w[1].min(period_end);
            Gap {
                start,
                minutes: (end - start).num_minutes(),
            }
        })
        .filter(|g| g.minutes > 0)
        .collect();
    let gap_count = gaps.len() as i64;
    gaps.sort_by_key(|g| std::cmp::Reverse(g.minutes));
    gaps.truncate(5);
    let mut longest_flatline = 0;
    let mut run = 0;
    for (i, r) in rows.iter().enumerate() {
        run = if i > 0 && (r.1 - rows[i - 1].1).abs() < 1e-9 {
            run + 1
        } else {
            1
        };
        longest_flatline = longest_flatline.max(run);
    }
    // A cumulative meter may legitimately stand still; a sensor reading a live quantity not.
    let flatline = metric != Metric::Volume && longest_flatline >= FLATLINE_READINGS;
    let quiet_since = period_end - Duration::seconds(interval * stale_intervals);
    let stale = last_seen.is_none_or(|seen| seen < quiet_since);
    let stuck_share = if flatline {
        longest_flatline as f64 / expected as f64
    } else {
        0.0
    };
    let score = if stale {
        0.0
    } else {
        100.0 * completeness * (1.0 - stuck_share.min(1.0))
    };
    SeriesQuality {
        node_id: node.id,
        external_id: node.external_id.clone(),
        node_name: node.name.clone(),
        metric,
        interval_secs: interval,
        expected,
        received,
        completeness,
        gaps,
        gap_count,
        longest_flatline,
        flatline,
        stale,
        last_seen,
        out_of_range: rows.iter().filter(|r| !metric.accepts(r.1)).count() as i64,
        flagged: rows.iter().filter(|r| r.2 != 0).count() as i64,
        future,
        score,
    }
}

/// The report of `tenant_id` for `day`, as of `now`.
pub async fn compute(
    db: &DatabaseConnection,
    tenant_id: i64,
    day: NaiveDate,
    now: DateTime<Utc>,
    stale_intervals: i64,
) -> anyhow::Result<DataQualityReport> {
    let day_start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let period_end = (day_start + Duration::days(1)).min(now);
    let backend = db.get_database_backend();
    let node_list = nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(tenant_id))
        .filter(nodes::Column::Active.eq(true))
        .all(db)
        .await?;
    let by_id: HashMap<i64, &nodes::Model> = node_list.iter().map(|n| (n.id, n)).collect();
    // Every series the tenant has ever reported: a sensor silent all day is still checked.
    let last_seen: HashMap<(i64, i16), DateTime<Utc>> = latest_readings::Entity::find()
        .filter(latest_readings::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| ((l.node_id, l.metric), l.ts))
        .collect();
    let rows = Row::find_by_statement(stmt(
        backend,
        "SELECT node_id, metric, ts, value, quality FROM readings \
         WHERE tenant_id = ? AND ts >= ? AND ts < ? ORDER BY node_id, metric, ts",
        vec![tenant_id.into(), day_start.into(), period_end.into()],
    ))
    .all(db)
    .await?;
    let future: HashMap<(i64, i16), i64> = Count::find_by_statement(stmt(
        backend,
        "SELECT node_id, metric, count(*) AS n FROM readings \
         WHERE tenant_id = ? AND ts > ? GROUP BY node_id, metric",
        vec![tenant_id.into(), (now + Duration::minutes(5)).into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|c| ((c.node_id, c.metric), c.n))
    .collect();
    let mut series: HashMap<(i64, i16), Vec<Point>> =
        last_seen.keys().map(|k| (*k, Vec::new())).collect();
    for r in rows {
        series
            .entry((r.node_id, r.metric))
            .or_default()
            .push((r.ts, r.value, r.quality));
    }
    let mut examined: Vec<SeriesQuality> = series
        .iter()
        .filter_map(|(&(node_id, code), rows)| {
            let node = by_id.get(&node_id)?;
            let metric = Metric::from_code(code)?;
            Some(examine(
                node,
                metric,
                rows,
                day_start,
                period_end,
                last_seen.get(&(node_id, code)).copied(),
                future.get(&(node_id, code)).copied().unwrap_or(0),
                stale_intervals,
            ))
        })
        .collect();
    let n = examined.len() as i64;
    let expected: i64 = examined.iter().map(|s| s.expected).sum();
    let received: i64 = examined.iter().map(|s| s.received.min(s.expected)).sum();
    let report = DataQualityReport {
        day,
        generated_at: now,
        score: if n == 0 {
            0.0
        } else {
            examined.iter().map(|s| s.score).sum::<f64>() / n as f64
        },
        series: n,
        complete_series: examined.iter().filter(|s| s.completeness >= 1.0).count() as i64,
        stale_series: examined.iter().filter(|s| s.stale).count() as i64,
        flatline_series: examined.iter().filter(|s| s.flatline).count() as i64,
        gaps: examined.iter().map(|s| s.gap_count).sum(),
        completeness: if expected == 0 {
            0.0
        } else {
            received as f64 / expected as f64
        },
        future_readings: examined.iter().map(|s| s.future).sum(),
        worst: {
            examined.sort_by(|a, b| {
                a.score
                    .total_cmp(&b.score)
                    .then(a.node_id.cmp(&b.node_id))
                    .then(a.metric.code().cmp(&b.metric.code()))
            });
            examined.truncate(WORST);
            examined
        },
    };
    Ok(report)
}

/// Stores (or replaces) the report of its day.
pub async fn store(
    db: &DatabaseConnection,
    tenant_id: i64,
    report: &DataQualityReport,
) -> anyhow::Result<()> {
    data_quality_reports::Entity::insert(data_quality_reports::ActiveModel {
        tenant_id: Set(tenant_id),
        day: Set(report.day),
        score: Set(report.score),
        report: Set(serde_json::to_string(report)?),
        created_at: Set(report.generated_at),
    })
    .on_conflict(
        OnConflict::columns([
            data_quality_reports::Column::TenantId,
            data_quality_reports::Column::Day,
        ])
        .update_columns([
            data_quality_reports::Column::Score,
            data_quality_reports::Column::Report,
            data_quality_reports::Column::CreatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The stored report of `day`, or the newest one.
pub async fn stored(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    day: Option<NaiveDate>,
) -> anyhow::Result<Option<DataQualityReport>> {
    use sea_orm::QueryOrder;
    let mut query = data_quality_reports::Entity::find()
        .filter(data_quality_reports::Column::TenantId.eq(tenant_id));
    if let Some(day) = day {
        query = query.filter(data_quality_reports::Column::Day.eq(day));
    }
    let row = query
        .order_by_desc(data_quality_reports::Column::Day)
        .one(db)
        .await?;
    Ok(match row {
        Some(r) => Some(serde_json::from_str(&r.report)?),
        None => None,
    })
}

/// The quality port over the stored reports.
pub struct QualityService(pub DatabaseConnection);

#[async_trait]
impl app::ssr::QualityPort for QualityService {
    async fn latest(
        &self,
        caller: &app::ssr::Caller,
    ) -> Result<Option<DataQualityReport>, shared::AppError> {
        use crate::error::OrInternal;
        let scoped = crate::storage::tenant_scope::open(&self.0, caller.tenant.id).await?;
        stored(&scoped, caller.tenant.id, None)
            .await
            .or_internal("reading a data quality report")
    }
}

//! The dashboard over a period and the period before it, from the rollups, the incidents,
//! the efficiency job's daily figures and the data quality reports.

use crate::error::OrInternal;
use crate::storage::entities::tenants;
use crate::storage::sql::stmt;
use crate::storage::tenant_scope;
use chrono::{DateTime, Duration, DurationRound, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, Value};
use shared::period::{BucketValue, DailyScore, PeriodQuery, PeriodSummary, Trend};
use shared::series::Resolution;
use shared::{AppError, Metric, NodeKind};

/// Longest period drawn from hourly rollups; longer ones use daily rollups.
const HOURLY_UP_TO_DAYS: i64 = 31;

/// The period's bounds and bucket size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub previous_from: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub resolution: Resolution,
}

impl Bounds {
    fn bucket(&self) -> Duration {
        match self.resolution {
            Resolution::Daily => Duration::days(1),
            _ => Duration::hours(1),
        }
    }
}

/// Bounds of `q` at `now` in the tenant's zone `tz`. A preset ends with the bucket holding
/// `now` and starts a whole number of buckets earlier, so every bucket is counted whole; a
/// custom period runs from midnight of its first day (or its first hour) to midnight after its
/// last day (or the hour it ends at), local time.
pub fn bounds(q: &PeriodQuery, now: DateTime<Utc>, tz: Tz) -> Result<Bounds, AppError> {
    let (from, to) = match q.custom()? {
        Some((start, end)) => (
            local_instant(tz, start, "from")?,
            local_instant(tz, end, "to")?,
        ),
        None => {
            let span = q.range.unwrap_or_default().span();
            let step = step_for(span);
            let to = now.duration_trunc(step).unwrap_or(now) + step;
            (to - span, to)
        }
    };
    let span = to - from;
    Ok(Bounds {
        previous_from: from - span,
        from,
        to,
        resolution: if span <= Duration::days(HOURLY_UP_TO_DAYS) {
            Resolution::Hourly
        } else {
            Resolution::Daily
        },
    })
}

fn step_for(span: Duration) -> Duration {
    if span <= Duration::days(HOURLY_UP_TO_DAYS) {
        Duration::hours(1)
    } else {
        Duration::days(1)
    }
}

/// The instant of a local time; a time the clocks skip (a jump at midnight, or 02:00 on the
/// night summer time begins) is the first instant after it, a repeated one its first occurrence.
fn local_instant(
    tz: Tz,
    local: NaiveDateTime,
    field: &'static str,
) -> Result<DateTime<Utc>, AppError> {
    Ok(tz
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .ok_or_else(|| AppError::validation(field, "no such local time"))?
        .with_timezone(&Utc))
}

#[derive(FromQueryResult)]
struct BucketRow {
    ts: DateTime<Utc>,
    value: Option<f64>,
    min_value: Option<f64>,
    max_value: Option<f64>,
}

#[derive(FromQueryResult)]
struct PairRow {
    a: Option<f64>,
    b: Option<f64>,
}

async fn buckets(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<BucketValue>, AppError> {
    Ok(
        BucketRow::find_by_statement(stmt(db.get_database_backend(), sql, values))
            .all(db)
            .await
            .or_internal("reading the period's rollups")?
            .into_iter()
            .filter_map(|r| {
                Some(BucketValue {
                    ts: r.ts,
                    value: r.value?,
                    min: r.min_value,
                    max: r.max_value,
                })
            })
            .collect(),
    )
}

async fn pair(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<(Option<f64>, Option<f64>), AppError> {
    let row = PairRow::find_by_statement(stmt(db.get_database_backend(), sql, values))
        .one(db)
        .await
        .or_internal("reading the period's figures")?;
    Ok(row.map_or((None, None), |r| (r.a, r.b)))
}

/// The newest daily data quality report of a day before `before`.
async fn latest_quality(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    before: NaiveDate,
) -> Result<Option<DailyScore>, AppError> {
    #[derive(FromQueryResult)]
    struct Row {
        day: NaiveDate,
        score: f64,
    }
    let row = Row::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT day, score FROM data_quality_reports WHERE tenant_id = ? AND day < ? \
         ORDER BY day DESC LIMIT 1",
        vec![tenant_id.into(), before.into()],
    ))
    .one(db)
    .await
    .or_internal("reading the latest data quality report")?;
    Ok(row.map(|r| DailyScore {
        day: r.day,
        score: r.score,
    }))
}

/// Runs `f` for the current period and for the previous one.
async fn both<F, Fut>(b: &Bounds, f: F) -> Result<(Option<f64>, Option<f64>), AppError>
where
    F: Fn(DateTime<Utc>, DateTime<Utc>) -> Fut,
    Fut: std::future::Future<Output = Result<Option<f64>, AppError>>,
{
    Ok((f(b.from, b.to).await?, f(b.previous_from, b.from).await?))
}

fn trend((current, previous): (Option<f64>, Option<f64>)) -> Trend {
    Trend { current, previous }
}

/// Cubic metres through the curve (L/s per bucket) up to `now`: a bucket still running
/// counts only the time elapsed.
fn volume_m3(curve: &[BucketValue], bucket: Duration, now: DateTime<Utc>) -> Option<f64> {
    (!curve.is_empty()).then(|| {
        curve
            .iter()
            .map(|p| {
                let end = (p.ts + bucket).min(now);
                let seconds = (end - p.ts).num_seconds().max(0) as f64;
                p.value * seconds / 1000.0
            })
            .sum()
    })
}

/// The tenant's IANA time zone, as stored and parsed (UTC when unknown).
pub(super) async fn tenant_zone(
    db: &impl ConnectionTrait,
    tenant_id: i64,
) -> Result<(String, Tz), AppError> {
    let name = tenants::Entity::find_by_id(tenant_id)
        .one(db)
        .await
        .or_internal("reading the tenant")?
        .map_or_else(|| "UTC".to_owned(), |t| t.time_zone);
    let tz = name.parse().unwrap_or(chrono_tz::UTC);
    Ok((name, tz))
}

/// The figures of `tenant_id` over `q` at `now`.
pub async fn summary(
    db: &DatabaseConnection,
    tenant_id: i64,
    q: &PeriodQuery,
    now: DateTime<Utc>,
) -> Result<PeriodSummary, AppError> {
    let scoped = &tenant_scope::open(db, tenant_id).await?;
    let (time_zone, tz) = tenant_zone(scoped, tenant_id).await?;
    let b = bounds(q, now, tz)?;
    let table = match b.resolution {
        Resolution::Daily => "readings_daily",
        _ => "readings_hourly",
    };
    // The network's inflow: the flow meters' bucket means added up.
    let curve_sql = format!(
        "SELECT r.bucket AS ts, SUM(r.sum_value / r.count) AS value, \
                NULL AS min_value, NULL AS max_value \
         FROM {table} r JOIN nodes n ON n.id = r.node_id \
         WHERE r.tenant_id = ? AND r.metric = ? AND n.kind = ? \
         AND r.bucket >= ? AND r.bucket < ? GROUP BY r.bucket ORDER BY r.bucket"
    );
    let curve = |from: DateTime<Utc>, to: DateTime<Utc>| {
        buckets(
            scoped,
            &curve_sql,
            vec![
                tenant_id.into(),
                Metric::FlowRate.code().into(),
                NodeKind::Flow.as_str().into(),
                from.into(),
                to.into(),
            ],
        )
    };
    let inflow = curve(b.from, b.to).await?;
    let previous_inflow = curve(b.previous_from, b.from).await?;
    let pressure = buckets(
        scoped,
        &format!(
            "SELECT bucket AS ts, SUM(sum_value) / SUM(count) AS value, \
                    MIN(min_value) AS min_value, MAX(max_value) AS max_value \
             FROM {table} WHERE tenant_id = ? AND metric = ? AND bucket >= ? AND bucket < ? \
             GROUP BY bucket ORDER BY bucket"
        ),
        vec![
            tenant_id.into(),
            Metric::Pressure.code().into(),
            b.from.into(),
            b.to.into(),
        ],
    )
    .await?;
    let step = b.bucket();
    let inflow_m3 = Trend {
        current: volume_m3(&inflow, step, now),
        previous: volume_m3(&previous_inflow, step, now),
    };
    let activity_sql = format!(
        "SELECT CAST(SUM(count) AS DOUBLE PRECISION) AS a, \
                CAST(COUNT(DISTINCT node_id) AS DOUBLE PRECISION) AS b \
         FROM {table} WHERE tenant_id = ? AND bucket >= ? AND bucket < ?"
    );
    let activity = |from: DateTime<Utc>, to: DateTime<Utc>| {
        pair(
            scoped,
            &activity_sql,
            vec![tenant_id.into(), from.into(), to.into()],
        )
    };
    let (now_activity, before_activity) = (
        activity(b.from, b.to).await?,
        activity(b.previous_from, b.from).await?,
    );
    let readings = Trend {
        current: now_activity.0,
        previous: before_activity.0,
    };
    let nodes_reporting = Trend {
        current: now_activity.1.filter(|n| *n > 0.0),
        previous: before_activity.1.filter(|n| *n > 0.0),
    };
    let mean_pressure_bar = trend(
        both(&b, |from, to| async move {
            Ok(pair(
                scoped,
                &format!(
                    "SELECT SUM(sum_value) / SUM(count) AS a, NULL AS b FROM {table} \
                     WHERE tenant_id = ? AND metric = ? AND bucket >= ? AND bucket < ?"
                ),
                vec![
                    tenant_id.into(),
                    Metric::Pressure.code().into(),
                    from.into(),
                    to.into(),
                ],
            )
            .await?
            .0)
        })
        .await?,
    );
    let nrw_pct = trend(
        both(&b, |from, to| async move {
            let (nrw, input) = pair(
                scoped,
                "SELECT SUM(nrw_m3) AS a, SUM(input_m3) AS b FROM network_efficiency \
                 WHERE tenant_id = ? AND district = '' AND period = 'day' \
                 AND start >= ? AND start < ? AND nrw_m3 IS NOT NULL",
                vec![tenant_id.into(), from.into(), to.into()],
            )
            .await?;
            Ok(match (nrw, input) {
                (Some(nrw), Some(input)) if input > 0.0 => Some(nrw / input * 100.0),
                _ => None,
            })
        })
        .await?,
    );
    let incidents = trend(
        both(&b, |from, to| async move {
            Ok(pair(
                scoped,
                "SELECT CAST(COUNT(*) AS DOUBLE PRECISION) AS a, NULL AS b FROM incidents \
                 WHERE tenant_id = ? AND detected_at >= ? AND detected_at < ?",
                vec![tenant_id.into(), from.into(), to.into()],
            )
            .await?
            .0
            .or(Some(0.0)))
        })
        .await?,
    );
    let quality_score = trend(
        both(&b, |from, to| async move {
            // Reports are per local day; a day counts when it starts inside the period.
            let (first, last) = (
                from.with_timezone(&tz).date_naive(),
                to.with_timezone(&tz).date_naive(),
            );
            Ok(pair(
                scoped,
                "SELECT AVG(score) AS a, NULL AS b FROM data_quality_reports \
                 WHERE tenant_id = ? AND day >= ? AND day < ?",
                vec![tenant_id.into(), first.into(), last.into()],
            )
            .await?
            .0)
        })
        .await?,
    );
    let quality_latest =
        latest_quality(scoped, tenant_id, b.to.with_timezone(&tz).date_naive()).await?;
    Ok(PeriodSummary {
        from: b.from,
        to: b.to,
        previous_from: b.previous_from,
        generated_at: now,
        resolution: b.resolution,
        time_zone,
        nodes_reporting,
        readings,
        inflow_m3,
        mean_pressure_bar,
        nrw_pct,
        incidents,
        quality_score,
        quality_latest,
        inflow,
        previous_inflow,
        pressure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::period::RangePreset;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn presets_end_with_the_running_bucket() {
        let now = at("2026-11-27T10:20:00Z");
        let q = |range| PeriodQuery {
            range: Some(range),
            ..PeriodQuery::default()
        };
        let day = bounds(&q(RangePreset::Day), now, chrono_tz::UTC).unwrap();
        assert_eq!(day.to, at("2026-11-27T11:00:00Z"));
        assert_eq!(day.from, at("2026-11-26T11:00:00Z"));
        assert_eq!(day.previous_from, at("2026-11-25T11:00:00Z"));
        assert_eq!(day.resolution, Resolution::Hourly);
        let year = bounds(&q(RangePreset::Year), now, chrono_tz::UTC).unwrap();
        assert_eq!(year.to, at("2026-11-28T00:00:00Z"));
        assert_eq!(year.to - year.from, Duration::days(365));
        assert_eq!(year.resolution, Resolution::Daily);
    }

    #[test]
    fn custom_days_are_local_midnights() {
        let q = PeriodQuery {
            range: None,
            from: Some("2026-03-29".parse().unwrap()),
            to: Some("2026-03-29".parse().unwrap()),
        };
        // Rome moves to summer time on 29 March 2026: that day lasts 23 hours.
        let b = bounds(&q, at("2026-11-27T10:00:00Z"), chrono_tz::Europe::Rome).unwrap();
        assert_eq!(b.from, at("2026-03-28T23:00:00Z"));
        assert_eq!(b.to, at("2026-03-29T22:00:00Z"));
        assert_eq!(b.from - b.previous_from, Duration::hours(23));
    }

    #[test]
    fn custom_hours_are_local_hours() {
        let q = |from: &str, to: &str| PeriodQuery {
            range: None,
            from: Some(from.parse().unwrap()),
            to: Some(to.parse().unwrap()),
        };
        let now = at("2026-11-27T10:00:00Z");
        let rome = chrono_tz::Europe::Rome;
        // Six hours of a winter morning in Rome (UTC+1), hourly buckets, the six before.
        let b = bounds(&q("2026-11-20T06:00", "2026-11-20T12:00"), now, rome).unwrap();
        assert_eq!(
            (b.from, b.to),
            (at("2026-11-20T05:00:00Z"), at("2026-11-20T11:00:00Z"))
        );
        assert_eq!(b.previous_from, at("2026-11-19T23:00:00Z"));
        assert_eq!(b.resolution, Resolution::Hourly);
        // 02:00 does not exist on 29 March 2026 in Rome: the period starts at 03:00 (01:00 UTC).
        let b = bounds(&q("2026-03-29T02:00", "2026-03-29T05:00"), now, rome).unwrap();
        assert_eq!(
            (b.from, b.to),
            (at("2026-03-29T01:00:00Z"), at("2026-03-29T03:00:00Z"))
        );
        // An hour to the end of a day.
        let b = bounds(&q("2026-11-20T23:00", "2026-11-20"), now, rome).unwrap();
        assert_eq!(b.to - b.from, Duration::hours(1));
    }

    #[test]
    fn volume_counts_only_elapsed_time_of_the_running_bucket() {
        let p = |ts: &str, value| BucketValue {
            ts: at(ts),
            value,
            min: None,
            max: None,
        };
        let curve = [
            p("2026-11-27T09:00:00Z", 100.0),
            p("2026-11-27T10:00:00Z", 50.0),
        ];
        // 100 L/s for an hour = 360 m³; 50 L/s for the 30 minutes so far = 90 m³.
        let v = volume_m3(&curve, Duration::hours(1), at("2026-11-27T10:30:00Z")).unwrap();
        assert!((v - 450.0).abs() < 1e-9, "{v}");
        assert_eq!(
            volume_m3(&[], Duration::hours(1), at("2026-11-27T10:30:00Z")),
            None
        );
    }
}

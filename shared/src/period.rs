//! The dashboard over a period: key figures with their trend against the period before,
//! and the network's inflow and pressure through the period.

use crate::series::Resolution;
use crate::AppError;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The longest custom period (days).
pub const MAX_PERIOD_DAYS: i64 = 731;

/// A period ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub enum RangePreset {
    /// The last 24 hours.
    #[default]
    #[serde(rename = "24h")]
    Day,
    /// The last 7 days.
    #[serde(rename = "7d")]
    Week,
    /// The last 30 days.
    #[serde(rename = "30d")]
    Month,
    /// The last 365 days.
    #[serde(rename = "1y")]
    Year,
}

impl RangePreset {
    /// Every preset, shortest first.
    pub const ALL: [RangePreset; 4] = [Self::Day, Self::Week, Self::Month, Self::Year];

    /// How it is written in URLs: `24h`, `7d`, `30d`, `1y`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Month => "30d",
            Self::Year => "1y",
        }
    }

    /// The preset written as [`Self::as_str`] does.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// How long it is.
    pub fn span(self) -> Duration {
        match self {
            Self::Day => Duration::hours(24),
            Self::Week => Duration::days(7),
            Self::Month => Duration::days(30),
            Self::Year => Duration::days(365),
        }
    }
}

/// Which period the dashboard shows: a preset ending now, or whole days in the tenant's time
/// zone (`from` and `to` inclusive). Without either, the last 24 hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `24h`, `7d`, `30d` or `1y`.
    #[param(value_type = Option<String>)]
    pub range: Option<RangePreset>,
    /// First day of a custom period (YYYY-MM-DD, tenant's time zone).
    #[param(value_type = Option<String>)]
    pub from: Option<NaiveDate>,
    /// Last day of a custom period, inclusive.
    #[param(value_type = Option<String>)]
    pub to: Option<NaiveDate>,
}

impl PeriodQuery {
    /// A custom period asked for, checked: both days given, in order, not too long.
    pub fn custom_days(&self) -> Result<Option<(NaiveDate, NaiveDate)>, AppError> {
        match (self.from, self.to) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(AppError::validation("to", "give the last day too")),
            (None, Some(_)) => Err(AppError::validation("from", "give the first day too")),
            (Some(from), Some(to)) if to < from => {
                Err(AppError::validation("to", "must not be before `from`"))
            }
            (Some(from), Some(to)) if (to - from).num_days() >= MAX_PERIOD_DAYS => Err(
                AppError::validation("to", format!("at most {MAX_PERIOD_DAYS} days")),
            ),
            (Some(from), Some(to)) => Ok(Some((from, to))),
        }
    }
}

/// A figure over the period and over the period of the same length just before.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trend {
    /// Over the period (None: no data to compute it from).
    pub current: Option<f64>,
    /// Over the previous period.
    pub previous: Option<f64>,
}

impl Trend {
    /// Change from the previous period, in percent of it (None when either is missing or the
    /// previous one is zero).
    pub fn change_pct(&self) -> Option<f64> {
        let (now, before) = (self.current?, self.previous?);
        (before.abs() > f64::EPSILON).then(|| (now - before) / before.abs() * 100.0)
    }
}

/// One bucket of a network-wide curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BucketValue {
    /// Bucket start.
    pub ts: DateTime<Utc>,
    /// The value.
    pub value: f64,
    /// Lowest reading in the bucket, where meaningful.
    pub min: Option<f64>,
    /// Highest reading in the bucket, where meaningful.
    pub max: Option<f64>,
}

/// The dashboard's figures over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PeriodSummary {
    /// Start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive; may lie in the future for a period ending now).
    pub to: DateTime<Utc>,
    /// Start of the previous period, which ends at `from`.
    pub previous_from: DateTime<Utc>,
    /// When the figures were computed.
    pub generated_at: DateTime<Utc>,
    /// The rollups the curves come from: hourly up to 31 days, daily beyond.
    pub resolution: Resolution,
    /// The tenant's time zone (IANA name), for labels.
    pub time_zone: String,
    /// Nodes that sent at least one reading.
    pub nodes_reporting: Trend,
    /// Readings stored.
    pub readings: Trend,
    /// Water measured entering the network by the flow meters (m³).
    pub inflow_m3: Trend,
    /// Mean of every pressure reading (bar).
    pub mean_pressure_bar: Trend,
    /// Non-revenue water of the whole network, from the days the efficiency job covered (%).
    pub nrw_pct: Trend,
    /// Incidents detected.
    pub incidents: Trend,
    /// Mean of the daily data quality scores (0–100).
    pub quality_score: Trend,
    /// Network inflow per bucket (L/s, sum of the flow meters' means), this period.
    pub inflow: Vec<BucketValue>,
    /// The same over the previous period (its own timestamps).
    pub previous_inflow: Vec<BucketValue>,
    /// Mean pressure over all sensors per bucket (bar), with the lowest and highest reading.
    pub pressure: Vec<BucketValue>,
}

/// What the dashboard page receives: the figures and the chart drawing them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodView {
    /// The figures.
    pub summary: PeriodSummary,
    /// ECharts option (JSON) of the flow analytics chart.
    pub option: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_round_trip_through_their_url_form() {
        for p in RangePreset::ALL {
            assert_eq!(RangePreset::parse(p.as_str()), Some(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert_eq!(RangePreset::parse("2w"), None);
        assert_eq!(RangePreset::Week.span(), Duration::days(7));
    }

    #[test]
    fn custom_periods_are_checked() {
        let day = |s: &str| Some(s.parse::<NaiveDate>().unwrap());
        let q = |from, to| PeriodQuery {
            range: None,
            from,
            to,
        };
        assert_eq!(q(None, None).custom_days().unwrap(), None);
        assert_eq!(
            q(day("2026-11-01"), day("2026-11-01"))
                .custom_days()
                .unwrap(),
            Some(("2026-11-01".parse().unwrap(), "2026-11-01".parse().unwrap()))
        );
        let field = |r: Result<_, AppError>| match r {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(field(q(day("2026-11-02"), None).custom_days()), "to");
        assert_eq!(field(q(None, day("2026-11-02")).custom_days()), "from");
        assert_eq!(
            field(q(day("2026-11-02"), day("2026-11-01")).custom_days()),
            "to"
        );
        assert_eq!(
            field(q(day("2020-01-01"), day("2026-01-01")).custom_days()),
            "to"
        );
    }

    #[test]
    fn trends_compare_with_the_previous_period() {
        let t = Trend {
            current: Some(110.0),
            previous: Some(100.0),
        };
        assert!((t.change_pct().unwrap() - 10.0).abs() < 1e-9);
        let down = Trend {
            current: Some(-5.0),
            previous: Some(-10.0),
        };
        assert!((down.change_pct().unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(
            Trend {
                current: Some(1.0),
                previous: Some(0.0)
            }
            .change_pct(),
            None
        );
        assert_eq!(Trend::default().change_pct(), None);
    }
}

//! The dashboard over a period: key figures with their trend against the period before,
//! and the network's inflow and pressure through the period.

use crate::series::Resolution;
use crate::AppError;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
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

/// One end of a custom period, in the tenant's time zone: a whole day (`YYYY-MM-DD`) or a whole
/// hour (`YYYY-MM-DDTHH:00`, as a browser's date-and-time field writes it; seconds may follow).
/// A day opens a period at its midnight and closes it at the next (the day counts whole); an hour
/// opens and closes it at that time. Hours only, because the figures come from hourly rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PeriodEnd {
    Day(NaiveDate),
    Hour(NaiveDateTime),
}

impl PeriodEnd {
    /// Local time at which a period starting here starts.
    pub fn start(self) -> NaiveDateTime {
        match self {
            Self::Day(d) => d.and_time(NaiveTime::MIN),
            Self::Hour(t) => t,
        }
    }

    /// Local time at which a period ending here ends (exclusive).
    pub fn end(self) -> NaiveDateTime {
        match self {
            Self::Day(d) => d.and_time(NaiveTime::MIN) + Duration::days(1),
            Self::Hour(t) => t,
        }
    }
}

impl std::str::FromStr for PeriodEnd {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const FORMAT: &str = "a day as YYYY-MM-DD, or an hour as YYYY-MM-DDTHH:00";
        let (day, time) = match s.split_once('T') {
            Some((d, t)) => (d, Some(t)),
            None => (s, None),
        };
        let day: NaiveDate = day.parse().map_err(|_| FORMAT)?;
        let Some(time) = time else {
            return Ok(Self::Day(day));
        };
        let mut parts = time
            .split(':')
            .map(|p| (p.len() == 2).then(|| p.parse::<u32>().ok()).flatten());
        let (h, m, sec) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Some(h)), Some(Some(m)), None, None) => (h, m, 0),
            (Some(Some(h)), Some(Some(m)), Some(Some(sec)), None) => (h, m, sec),
            _ => return Err(FORMAT),
        };
        let time = NaiveTime::from_hms_opt(h, m, sec).ok_or(FORMAT)?;
        if time.minute() != 0 || time.second() != 0 {
            return Err("a whole hour (HH:00): the figures come from hourly rollups");
        }
        Ok(Self::Hour(day.and_time(time)))
    }
}

impl std::fmt::Display for PeriodEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Day(d) => write!(f, "{d}"),
            Self::Hour(t) => write!(f, "{}T{:02}:00", t.date(), t.hour()),
        }
    }
}

impl TryFrom<String> for PeriodEnd {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PeriodEnd> for String {
    fn from(e: PeriodEnd) -> Self {
        e.to_string()
    }
}

/// Which period the dashboard shows: a preset ending now, or a custom period in the tenant's
/// time zone (`from` and `to`: whole days, `to` inclusive, or whole hours, `to` exclusive).
/// Without either, the last 24 hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `24h`, `7d`, `30d` or `1y`.
    #[param(value_type = Option<String>)]
    pub range: Option<RangePreset>,
    /// Start of a custom period: its first day (YYYY-MM-DD) or first hour (YYYY-MM-DDTHH:00),
    /// tenant's time zone.
    #[param(value_type = Option<String>)]
    pub from: Option<PeriodEnd>,
    /// End of a custom period: its last day, inclusive (YYYY-MM-DD), or the hour it ends at
    /// (YYYY-MM-DDTHH:00).
    #[param(value_type = Option<String>)]
    pub to: Option<PeriodEnd>,
}

impl PeriodQuery {
    /// The URL query parameters that ask for this period again (`range`, or `from` and `to`).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(r) = self.range {
            out.push(("range", r.as_str().to_owned()));
        }
        if let Some(f) = self.from {
            out.push(("from", f.to_string()));
        }
        if let Some(t) = self.to {
            out.push(("to", t.to_string()));
        }
        out
    }

    /// A custom period asked for, checked (both ends given, at least an hour, not too long):
    /// its local start and (exclusive) end.
    pub fn custom(&self) -> Result<Option<(NaiveDateTime, NaiveDateTime)>, AppError> {
        match (self.from, self.to) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(AppError::validation("to", "give the end too")),
            (None, Some(_)) => Err(AppError::validation("from", "give the start too")),
            (Some(from), Some(to)) => {
                let (start, end) = (from.start(), to.end());
                if end < start + Duration::hours(1) {
                    Err(AppError::validation(
                        "to",
                        "must end at least an hour after `from`",
                    ))
                } else if end - start > Duration::days(MAX_PERIOD_DAYS) {
                    Err(AppError::validation(
                        "to",
                        format!("at most {MAX_PERIOD_DAYS} days"),
                    ))
                } else {
                    Ok(Some((start, end)))
                }
            }
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

/// A daily figure and the day it is for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DailyScore {
    /// The day (UTC) the figure covers.
    pub day: NaiveDate,
    /// The figure.
    pub score: f64,
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
    /// The newest daily data quality report of a day before the period's end. A day's report
    /// is made the next morning (06:00 UTC), so a period ending in the night may hold none of
    /// its own yet: the card then shows this one, with its day.
    #[serde(default)]
    pub quality_latest: Option<DailyScore>,
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
        let end = |s: &str| Some(s.parse::<PeriodEnd>().unwrap());
        let q = |from, to| PeriodQuery {
            range: None,
            from,
            to,
        };
        let at = |s: &str| s.parse::<NaiveDateTime>().unwrap();
        assert_eq!(q(None, None).custom().unwrap(), None);
        // One whole day: its midnight to the next.
        assert_eq!(
            q(end("2026-11-01"), end("2026-11-01")).custom().unwrap(),
            Some((at("2026-11-01T00:00:00"), at("2026-11-02T00:00:00")))
        );
        // Hours: from the first to the second, exclusive; a day and an hour mix.
        assert_eq!(
            q(end("2026-11-01T06:00"), end("2026-11-01T09:00"))
                .custom()
                .unwrap(),
            Some((at("2026-11-01T06:00:00"), at("2026-11-01T09:00:00")))
        );
        assert_eq!(
            q(end("2026-11-01T22:00:00"), end("2026-11-02"))
                .custom()
                .unwrap(),
            Some((at("2026-11-01T22:00:00"), at("2026-11-03T00:00:00")))
        );
        let field = |r: Result<_, AppError>| match r {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(field(q(end("2026-11-02"), None).custom()), "to");
        assert_eq!(field(q(None, end("2026-11-02")).custom()), "from");
        assert_eq!(
            field(q(end("2026-11-02"), end("2026-11-01")).custom()),
            "to"
        );
        assert_eq!(
            field(q(end("2026-11-02T05:00"), end("2026-11-02T05:00")).custom()),
            "to",
            "an empty period"
        );
        assert_eq!(
            field(q(end("2020-01-01"), end("2026-01-01")).custom()),
            "to"
        );
    }

    #[test]
    fn period_ends_read_and_write_days_and_whole_hours() {
        for s in ["2026-11-01", "2026-11-01T06:00", "2026-02-28T23:00"] {
            let e: PeriodEnd = s.parse().unwrap();
            assert_eq!(e.to_string(), s);
            assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(
            "2026-11-01T06:00:00"
                .parse::<PeriodEnd>()
                .unwrap()
                .to_string(),
            "2026-11-01T06:00"
        );
        for bad in [
            "",
            "2026-13-01",
            "2026-11-01T",
            "2026-11-01T6:00",
            "2026-11-01T24:00",
            "2026-11-01Tab:00",
            "2026-11-01T06:00:00:00",
        ] {
            assert!(bad.parse::<PeriodEnd>().is_err(), "{bad}");
        }
        assert!("2026-11-01T06:30"
            .parse::<PeriodEnd>()
            .unwrap_err()
            .contains("whole hour"));
        assert!(serde_json::from_str::<PeriodEnd>("\"2026-11-01T06:15\"").is_err());
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

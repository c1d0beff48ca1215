//! The few fixed time layouts the UI shows, written out directly. chrono's `format` would
//! carry its strftime interpreter (format-string parser, every specifier, padding rules)
//! into the wasm bundle for five layouts.

use chrono::{DateTime, Datelike, Timelike, Utc};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2026-11-28 09:41 UTC`
pub fn utc_minute(at: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02} UTC", date(at), at.hour(), at.minute())
}

/// `2026-11-28 09:41:07 UTC`
pub fn utc_second(at: DateTime<Utc>) -> String {
    format!("{} {} UTC", date(at), time_of_day(at))
}

/// `2026-11-28T09:41:07Z` (RFC 3339, to the second), for URLs.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    format!("{}T{}Z", date(at), time_of_day(at))
}

/// `09:41:07`
pub fn time_of_day(at: DateTime<Utc>) -> String {
    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
}

/// `28 Nov`
pub fn day_month(at: DateTime<Utc>) -> String {
    format!("{:02} {}", at.day(), MONTHS[at.month0() as usize])
}

/// `28 Nov 09:41`
pub fn day_month_minute(at: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02}", day_month(at), at.hour(), at.minute())
}

fn date(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}", at.year(), at.month(), at.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn writes_what_strftime_would() {
        for at in [
            Utc.with_ymd_and_hms(2026, 1, 5, 3, 4, 9).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 28, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(999, 12, 31, 0, 0, 0).unwrap(),
        ] {
            assert_eq!(utc_minute(at), at.format("%Y-%m-%d %H:%M UTC").to_string());
            assert_eq!(
                utc_second(at),
                at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
            );
            assert_eq!(time_of_day(at), at.format("%H:%M:%S").to_string());
            assert_eq!(rfc3339(at), at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(rfc3339(at).parse::<DateTime<Utc>>().ok(), Some(at));
            assert_eq!(day_month(at), at.format("%d %b").to_string());
            assert_eq!(day_month_minute(at), at.format("%d %b %H:%M").to_string());
        }
        let at = Utc.with_ymd_and_hms(2026, 3, 7, 8, 5, 0).unwrap();
        assert_eq!(utc_minute(at), "2026-03-07 08:05 UTC");
        assert_eq!(day_month(at), "07 Mar");
    }
}

//! The seasonal baseline: what a sensor usually reads at this time of day on this kind of day.
//!
//! For every step the expected value is the median of the same local time of day on the most
//! recent days of the same type (weekday or weekend) before it, so the profile follows slow drifts
//! in demand while one odd day cannot move it. Residual = actual - expected.

use crate::panel::Panel;
use crate::stats::median_in_place;

/// How far back the baseline looks.
#[derive(Clone, Copy, Debug)]
pub struct BaselineConfig {
    /// Days searched back for same-type days.
    pub lookback_days: usize,
    /// Same-type days used (most recent first).
    pub weekday_refs: usize,
    pub weekend_refs: usize,
    /// Fewest same-type days for an expectation when none of its own kind is known.
    pub min_refs: usize,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        Self {
            lookback_days: 21,
            weekday_refs: 5,
            weekend_refs: 4,
            min_refs: 3,
        }
    }
}

/// Expected values for `values` at steps `from..values.len()`; NaN before `from` or without enough
/// reference days.
///
/// A reference day is of the same type (weekday or weekend) and, where history holds one such
/// day at least, follows a day of the same type too: the night after a weekend (a Monday's small
/// hours) still carries the weekend's tank levels and pump timings, and a Saturday's small hours
/// the working week's, so each is compared with its own kind, even with a single day of it while
/// history is short. Without one, [`BaselineConfig::min_refs`] days of the same type do.
pub fn expected(panel: &Panel, values: &[f64], from: usize, cfg: &BaselineConfig) -> Vec<f64> {
    let per_day = panel.per_day();
    let mut out = vec![f64::NAN; values.len()];
    let mut refs = Vec::with_capacity(cfg.weekday_refs.max(cfg.weekend_refs));
    let after_weekend = |t: usize| panel.is_weekend_at(panel.time(t) - 86_400);
    for (t, slot) in out.iter_mut().enumerate().skip(from) {
        let weekend = panel.is_weekend(t);
        let wanted = if weekend {
            cfg.weekend_refs
        } else {
            cfg.weekday_refs
        };
        let mut found = false;
        for strict in [true, false] {
            refs.clear();
            for k in 1..=cfg.lookback_days {
                let Some(j) = t.checked_sub(k * per_day) else {
                    break;
                };
                if panel.is_weekend(j) != weekend
                    || (strict && after_weekend(j) != after_weekend(t))
                {
                    continue;
                }
                if values[j].is_finite() {
                    refs.push(values[j]);
                }
                if refs.len() == wanted {
                    break;
                }
            }
            // One day of its own kind is a better reference than three of another: a Sunday's
            // small hours against last Sunday's rather than against Saturdays'.
            let enough = if strict { 1 } else { cfg.min_refs };
            if refs.len() >= enough {
                found = true;
                break;
            }
        }
        if found {
            *slot = median_in_place(&mut refs).unwrap_or(f64::NAN);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(step: i64) -> Panel {
        // Monday 2026-01-05 00:00 UTC
        Panel {
            start: 1_767_571_200,
            step,
            utc_offset: 0,
            series: vec![],
        }
    }

    #[test]
    fn expectation_is_same_time_median_of_same_day_type() {
        let p = panel(3600);
        // 4 weeks of hourly data: weekdays read hour + 10, weekends hour + 100,
        // except one odd weekday that reads 1000 (the median must ignore it).
        let mut v = Vec::new();
        for i in 0..24 * 28 {
            let h = (i % 24) as f64;
            v.push(if p.is_weekend(i) { h + 100.0 } else { h + 10.0 });
        }
        for x in &mut v[24 * 15..24 * 16] {
            *x = 1000.0;
        }
        let e = expected(&p, &v, 0, &BaselineConfig::default());
        assert!(e[5].is_nan(), "no history on day 0");
        let last_monday = 24 * 21 + 7; // Monday of week 4, 07:00
        assert_eq!(e[last_monday], 17.0);
        let last_sunday = 24 * 27 + 3;
        assert_eq!(e[last_sunday], 103.0);
    }

    #[test]
    fn the_small_hours_after_a_weekend_are_compared_with_their_own_kind() {
        let p = panel(3600);
        // Five weeks of hourly data. Until 05:00 a day carries the day before it: after a
        // weekend day the small hours read 50 more, whatever today is.
        let after_weekend = |i: usize| p.is_weekend_at(p.time(i) - 86_400);
        let v: Vec<f64> = (0..24 * 35)
            .map(|i| {
                let h = (i % 24) as f64;
                let today = if p.is_weekend(i) { 100.0 } else { 10.0 };
                today
                    + h
                    + if i % 24 < 5 && after_weekend(i) {
                        50.0
                    } else {
                        0.0
                    }
            })
            .collect();
        let e = expected(&p, &v, 0, &BaselineConfig::default());
        // Monday 02:00 of week 5 against the three Mondays before it, not the working week's
        // nights; Tuesday's against Tuesdays to Fridays; Saturday's against Saturdays, and
        // Sunday's against Sundays.
        let at = |week: usize, day: usize, hour: usize| (week * 7 + day) * 24 + hour;
        assert_eq!(e[at(4, 0, 2)], 62.0);
        assert_eq!(e[at(4, 1, 2)], 12.0);
        assert_eq!(e[at(4, 5, 2)], 102.0);
        assert_eq!(e[at(4, 6, 2)], 152.0);
        // In daytime every kind of day reads alike and so does its baseline.
        assert_eq!(e[at(4, 0, 12)], 22.0);
        // One day of its own kind is enough: the second Monday is compared with the first, not
        // with the working week as a whole.
        assert_eq!(e[at(1, 0, 2)], 62.0);
        assert_eq!(e[at(1, 6, 2)], 152.0);
        // Without one, three days of the same type are needed: the first Tuesday has only a
        // Monday before it, the first Wednesday a Tuesday.
        assert!(e[at(0, 1, 2)].is_nan());
        assert_eq!(e[at(0, 2, 2)], 12.0);
    }
}

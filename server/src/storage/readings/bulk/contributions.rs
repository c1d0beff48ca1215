//! Rollup contributions of a bulk load, computed while its rows stream by.

use super::super::pg::Bucket;
use super::super::NewReading;
use std::collections::HashMap;

/// Rollup contributions of the loaded rows, one per bucket while each series arrives in time
/// order: the bucket a series is in stays open across batches and is written once it is
/// left behind.
pub(super) struct Contributions {
    width: i64,
    open: HashMap<(i64, i16), Bucket>,
    done: Vec<Bucket>,
    /// False once a series went back in time: buckets may then repeat and are merged by
    /// grouping when they are applied.
    pub(super) ordered: bool,
}

impl Contributions {
    pub(super) fn new(width: i64) -> Self {
        Self {
            width,
            open: HashMap::new(),
            done: Vec::new(),
            ordered: true,
        }
    }

    /// Adds rows sorted by (node, metric, ts).
    pub(super) fn add(&mut self, sorted: &[NewReading]) {
        for b in Bucket::all(sorted, self.width) {
            match self.open.get_mut(&(b.node_id, b.metric)) {
                Some(open) if open.start == b.start => open.merge(&b),
                Some(open) if open.start < b.start => self.done.push(std::mem::replace(open, b)),
                Some(_) => {
                    self.ordered = false;
                    self.done.push(b);
                }
                None => {
                    self.open.insert((b.node_id, b.metric), b);
                }
            }
        }
    }

    /// The buckets left behind since the last call.
    pub(super) fn drain(&mut self) -> Vec<Bucket> {
        std::mem::take(&mut self.done)
    }

    /// Every bucket that starts in `[lo, hi)` (seconds), open or not: a month whose rows are
    /// all in.
    pub(super) fn close_within(&mut self, lo: i64, hi: i64) -> Vec<Bucket> {
        let inside = |b: &Bucket| b.start >= lo && b.start < hi;
        let (mut out, done): (Vec<Bucket>, Vec<Bucket>) =
            std::mem::take(&mut self.done).into_iter().partition(inside);
        self.done = done;
        self.open.retain(|_, b| {
            if inside(b) {
                out.push(*b);
                false
            } else {
                true
            }
        });
        out
    }

    /// Every remaining bucket (at the end of the load).
    pub(super) fn close(&mut self) -> Vec<Bucket> {
        self.done.extend(self.open.drain().map(|(_, b)| b));
        self.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use shared::Metric;

    fn r(node_id: i64, minute: i64, value: f64) -> NewReading {
        NewReading {
            node_id,
            metric: Metric::FlowRate,
            ts: DateTime::<Utc>::from_timestamp(1_767_225_600 + minute * 60, 0).unwrap(),
            value,
            quality: 0,
        }
    }

    #[test]
    fn an_hour_split_across_batches_is_one_contribution() {
        let mut c = Contributions::new(3_600);
        c.add(&[r(1, 0, 1.0), r(1, 15, 2.0), r(2, 0, 7.0)]);
        assert!(c.drain().is_empty(), "both hours are still open");
        c.add(&[r(1, 30, 3.0), r(1, 60, 4.0), r(2, 15, 5.0)]);
        let done = c.drain();
        assert_eq!(done.len(), 1);
        assert_eq!(
            (
                done[0].node_id,
                done[0].count,
                done[0].sum,
                done[0].last_value
            ),
            (1, 3, 6.0, 3.0)
        );
        assert_eq!((done[0].min, done[0].max), (1.0, 3.0));
        let mut rest = c.close();
        rest.sort_by_key(|b| (b.node_id, b.start));
        assert_eq!(
            rest.iter()
                .map(|b| (b.node_id, b.count, b.sum))
                .collect::<Vec<_>>(),
            vec![(1, 1, 4.0), (2, 2, 12.0)]
        );
        assert!(c.ordered);
    }

    #[test]
    fn closing_a_span_takes_its_buckets_open_or_done_and_only_those() {
        let mut c = Contributions::new(3_600);
        // Node 1: hours 0 (done) and 1 (open); node 2: hour 2 (open).
        c.add(&[r(1, 0, 1.0), r(1, 60, 2.0), r(2, 120, 3.0)]);
        let first_two_hours = c.close_within(1_767_225_600, 1_767_225_600 + 2 * 3_600);
        let mut got: Vec<(i64, i64)> = first_two_hours
            .iter()
            .map(|b| (b.node_id, b.start - 1_767_225_600))
            .collect();
        got.sort_unstable();
        assert_eq!(got, vec![(1, 0), (1, 3_600)]);
        // Node 2's hour is still open and comes out at the end, once.
        let rest = c.close();
        assert_eq!(
            rest.iter().map(|b| (b.node_id, b.sum)).collect::<Vec<_>>(),
            vec![(2, 3.0)]
        );
        assert!(c.ordered);
    }

    #[test]
    fn a_series_going_back_in_time_is_noticed() {
        let mut c = Contributions::new(3_600);
        c.add(&[r(1, 120, 1.0)]);
        c.add(&[r(1, 0, 2.0)]);
        assert!(!c.ordered);
        assert_eq!(c.close().len(), 2);
    }
}

//! What an import tells its caller: counts, and every rejected line with its reason.

use serde::{Deserialize, Serialize};

/// Most rejected lines listed one by one in a report; the count covers all of them.
pub const MAX_LISTED_REJECTIONS: usize = 1_000;

/// One input line (or JSON item) that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowRejection {
    /// 1-based line of the CSV file (header is line 1), or 1-based item of a JSON array.
    pub line: u64,
    /// The offending column (`timestamp`, `node_id`, `metric`, `value`, …).
    pub field: String,
    /// What was wrong with it.
    pub reason: String,
}

/// The outcome of importing one file or request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Readings stored for the first time.
    pub inserted: u64,
    /// Readings that replaced a different stored value for the same node, metric and time.
    pub updated: u64,
    /// Readings identical to what was already stored.
    pub unchanged: u64,
    /// Readings (or lines) not stored.
    pub rejected: u64,
    /// The first rejections, in input order (at most [`MAX_LISTED_REJECTIONS`]).
    pub rejections: Vec<RowRejection>,
}

impl ImportReport {
    /// Records a rejection, listing it while there is room.
    pub fn reject(&mut self, line: u64, field: impl Into<String>, reason: impl Into<String>) {
        self.rejected += 1;
        if self.rejections.len() < MAX_LISTED_REJECTIONS {
            self.rejections.push(RowRejection {
                line,
                field: field.into(),
                reason: reason.into(),
            });
        }
    }

    /// Readings accepted (stored or already present).
    pub fn accepted(&self) -> u64 {
        self.inserted + self.updated + self.unchanged
    }
}

/// One reading as integrators send it in a JSON array to `POST /api/v1/readings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadingInput {
    /// The node's external id (as in the nodes CSV).
    pub node_id: String,
    /// Metric name (`flow_rate`, `pressure`, …).
    pub metric: String,
    /// RFC 3339 timestamp.
    pub timestamp: String,
    /// Value in the metric's unit.
    pub value: f64,
    /// Source quality flags (0 = good).
    #[serde(default)]
    pub quality: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_rejections_up_to_the_cap_but_counts_all() {
        let mut report = ImportReport::default();
        for line in 0..(MAX_LISTED_REJECTIONS as u64 + 5) {
            report.reject(line + 2, "value", "not a number");
        }
        assert_eq!(report.rejected, MAX_LISTED_REJECTIONS as u64 + 5);
        assert_eq!(report.rejections.len(), MAX_LISTED_REJECTIONS);
        assert_eq!(report.rejections[0].line, 2);
    }
}

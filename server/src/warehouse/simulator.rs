//! The built-in network simulator as a source: the demo tenant's nodes produce readings from
//! the deterministic network model (`demo::model`), so any time range can be pulled, again
//! and again, with the same values.

use super::{Pages, ReadingSource, SourceRow, VecPages};
use crate::demo::feed::{readings_between, STEP_MINUTES};
use crate::demo::model::NODES;
use crate::demo::seed::DemoTenant;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// Rows per page (a day of the demo network is about 8,000 readings).
const PAGE_STEPS: i64 = 288;

/// The simulator feeding one tenant.
pub struct Simulator {
    demo: DemoTenant,
}

impl Simulator {
    /// A simulator for the demo tenant's nodes.
    pub fn new(demo: DemoTenant) -> Self {
        Self { demo }
    }
}

#[async_trait]
impl ReadingSource for Simulator {
    fn name(&self) -> &str {
        "simulator"
    }

    fn tenant_id(&self) -> i64 {
        self.demo.tenant_id
    }

    async fn pull(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> anyhow::Result<Box<dyn Pages>> {
        let external: std::collections::HashMap<i64, &str> = NODES
            .iter()
            .filter_map(|n| Some((*self.demo.node_ids.get(n.external_id)?, n.external_id)))
            .collect();
        let page = Duration::minutes(STEP_MINUTES * PAGE_STEPS);
        let mut pages = Vec::new();
        let mut from = since;
        let mut line = 0;
        while from < until {
            let to = (from + page).min(until);
            let rows: Vec<SourceRow> = readings_between(&self.demo, from, to)
                .into_iter()
                .filter_map(|r| {
                    line += 1;
                    Some(SourceRow {
                        line,
                        node: (*external.get(&r.node_id)?).to_owned(),
                        metric: r.metric,
                        ts: r.ts,
                        value: r.value,
                        quality: r.quality,
                    })
                })
                .collect();
            pages.push(rows);
            from = to;
        }
        Ok(Box::new(VecPages(pages.into_iter())))
    }
}

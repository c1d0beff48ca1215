//! The network overview: every node with its status, the districts, their daily figures
//! through the period and the health of what feeds them, from `latest_readings`, the
//! unresolved incidents, the efficiency job's daily rows, the newest data quality report and
//! the job ledger. One tenant-scoped transaction; no history is scanned.

use super::period::bounds;
use crate::error::OrInternal;
use crate::jobs::data_quality;
use crate::storage::entities::{districts, incidents, job_runs, network_efficiency};
use crate::storage::tenant_scope;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::overview::{
    DistrictDay, DistrictStatus, MapNode, NetworkOverview, NodeStatus, SystemHealth,
};
use shared::period::PeriodQuery;
use shared::{AppError, NodeKind};
use std::collections::{BTreeMap, HashMap};

/// The daily figures cover at least this many days, so a 24-hour period still shows a trend.
const MIN_DAYS: i64 = 7;

/// Job runs' statuses that say the job did its work for the tenant's tick.
fn healthy_run(status: &str) -> bool {
    matches!(status, "succeeded" | "skipped")
}

/// The overview of `tenant_id` for the period `q` as of `now`; a node is stale after
/// `stale_intervals` of its reporting intervals without data.
pub async fn overview(
    db: &DatabaseConnection,
    tenant_id: i64,
    q: &PeriodQuery,
    now: DateTime<Utc>,
    stale_intervals: i64,
) -> Result<NetworkOverview, AppError> {
    let scoped = &tenant_scope::open(db, tenant_id).await?;
    let (time_zone, tz) = super::period::tenant_zone(scoped, tenant_id).await?;
    let b = bounds(q, now, tz)?;
    let from = b.from.min(b.to - Duration::days(MIN_DAYS));

    let rows = super::node_rows(scoped, tenant_id).await?;

    // Unresolved incidents: which nodes they name, and how many per district.
    let open = incidents::Entity::find()
        .filter(incidents::Column::TenantId.eq(tenant_id))
        .filter(incidents::Column::Status.ne("resolved"))
        .all(scoped)
        .await
        .or_internal("loading the open incidents")?;
    let mut named: HashMap<String, NodeStatus> = HashMap::new();
    let mut per_district: HashMap<String, i64> = HashMap::new();
    for i in &open {
        let fault = shared::anomaly::AnomalyKind::parse(&i.kind).is_some_and(|k| k.is_fault());
        let status = if fault {
            NodeStatus::Fault
        } else {
            NodeStatus::Incident
        };
        let affected: Vec<analytics::incidents::Affected> =
            serde_json::from_str(&i.affected).unwrap_or_default();
        for a in affected {
            let e = named.entry(a.node).or_insert(status);
            *e = (*e).min(status);
        }
        if let Some(d) = &i.district {
            *per_district.entry(d.clone()).or_default() += 1;
        }
    }

    let mut stale_after_secs = 0;
    let mut silent_ids = std::collections::HashSet::new();
    let nodes: Vec<MapNode> = rows
        .into_iter()
        .map(|r| {
            let interval = data_quality::configured_interval(r.metadata.as_ref())
                .unwrap_or(data_quality::DEFAULT_INTERVAL_SECS);
            let limit = interval * stale_intervals;
            stale_after_secs = i64::max(stale_after_secs, limit);
            let silent = r
                .last_seen
                .is_none_or(|seen| seen < now - Duration::seconds(limit));
            if silent {
                silent_ids.insert(r.id);
            }
            // An incident naming the node says more than its silence (a missing-data fault
            // is both); otherwise a silent node is stale.
            let status = match named.get(&r.external_id) {
                Some(s) => *s,
                None if silent => NodeStatus::Stale,
                None => NodeStatus::Normal,
            };
            MapNode {
                id: r.id,
                kind: r.kind.parse().unwrap_or(NodeKind::Pressure),
                external_id: r.external_id,
                name: r.name,
                district: r.district,
                lat: r.latitude,
                lon: r.longitude,
                status,
                last_seen: r.last_seen,
                pressure: r.pressure_value,
                flow_rate: r.flow_value,
                level: r.level_value,
            }
        })
        .collect();
    let online = |n: &MapNode| !silent_ids.contains(&n.id);

    // Daily figures of the period, per district ('' is the whole network).
    let eff = network_efficiency::Entity::find()
        .filter(network_efficiency::Column::TenantId.eq(tenant_id))
        .filter(network_efficiency::Column::Period.eq("day"))
        .filter(network_efficiency::Column::Start.gte(from))
        .filter(network_efficiency::Column::Start.lt(b.to))
        .order_by_asc(network_efficiency::Column::Start)
        .order_by_asc(network_efficiency::Column::District)
        .all(scoped)
        .await
        .or_internal("loading the efficiency figures")?;
    // The newest day of each district, preferring whole days over the running one.
    let newest = |name: &str| -> Option<&network_efficiency::Model> {
        let mine = || eff.iter().rev().filter(|r| r.district == name);
        mine()
            .find(|r| r.hours_covered >= 23)
            .or_else(|| mine().next())
    };
    let mut by_district: BTreeMap<String, Vec<&MapNode>> = BTreeMap::new();
    for n in &nodes {
        if let Some(d) = &n.district {
            by_district.entry(d.clone()).or_default().push(n);
        }
    }
    let district_ids: HashMap<String, i64> = districts::Entity::find()
        .filter(districts::Column::TenantId.eq(tenant_id))
        .all(scoped)
        .await
        .or_internal("loading the districts")?
        .into_iter()
        .map(|d| (d.name, d.id))
        .collect();
    let districts = by_district
        .iter()
        .filter_map(|(name, members)| Some((*district_ids.get(name)?, name, members)))
        .map(|(id, name, members)| {
            let flows: Vec<f64> = members
                .iter()
                .filter(|n| n.kind == NodeKind::Flow)
                .filter_map(|n| n.flow_rate)
                .collect();
            let pressures: Vec<f64> = members.iter().filter_map(|n| n.pressure).collect();
            let day = newest(name);
            DistrictStatus {
                id,
                name: name.clone(),
                nodes: members.len() as i64,
                online: members.iter().filter(|n| online(n)).count() as i64,
                inflow_lps: (!flows.is_empty()).then(|| flows.iter().sum()),
                pressure_bar: (!pressures.is_empty())
                    .then(|| pressures.iter().sum::<f64>() / pressures.len() as f64),
                open_incidents: per_district.get(name).copied().unwrap_or(0),
                day: day.map(|r| r.start),
                nrw_pct: day.and_then(|r| r.nrw_pct),
                mnf_lps: day.and_then(|r| r.mnf_lps),
                ili: day.and_then(|r| r.ili),
            }
        })
        .collect();
    let days = eff
        .iter()
        .map(|r| DistrictDay {
            district: (!r.district.is_empty()).then(|| r.district.clone()),
            day: r.start,
            avg_pressure_bar: r.avg_pressure_bar,
            nrw_pct: r.nrw_pct,
            mnf_lps: r.mnf_lps,
            ili: r.ili,
        })
        .collect();

    // Job health: the newest finished run of each job that ran for this tenant.
    let runs = job_runs::Entity::find()
        .filter(job_runs::Column::TenantId.eq(tenant_id))
        .filter(job_runs::Column::Status.ne("running"))
        .order_by_desc(job_runs::Column::StartedAt)
        .order_by_desc(job_runs::Column::Id)
        .limit(500)
        .all(scoped)
        .await
        .or_internal("loading the job runs")?;
    let mut newest_run: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &runs {
        newest_run.entry(&r.job).or_insert(&r.status);
    }
    let failing_jobs: Vec<String> = newest_run
        .iter()
        .filter(|(_, s)| !healthy_run(s))
        .map(|(j, _)| (*j).to_owned())
        .collect();
    let quality = data_quality::stored(scoped, tenant_id, None)
        .await
        .or_internal("reading the data quality report")?;
    let critical = open.iter().filter(|i| i.severity == "critical").count() as i64;
    let health = SystemHealth {
        completeness: quality.as_ref().map(|r| r.completeness),
        quality_day: quality.as_ref().map(|r| r.day),
        sensors_online: nodes.iter().filter(|n| online(n)).count() as i64,
        sensors_total: nodes.len() as i64,
        open_incidents: open.len() as i64,
        open_critical: critical,
        jobs_healthy: (newest_run.len() - failing_jobs.len()) as i64,
        jobs_total: newest_run.len() as i64,
        failing_jobs,
    };
    Ok(NetworkOverview {
        generated_at: now,
        from,
        to: b.to,
        time_zone,
        stale_after_secs,
        nodes,
        districts,
        days,
        health,
    })
}

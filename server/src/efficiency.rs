//! Network efficiency per district and for the whole network, per hour and per local day, from
//! the hourly rollups: system input volume, metered consumption, non-revenue water, minimum night
//! flow, real losses from the net night flow, UARL and the Infrastructure Leakage Index. The
//! formulas are in `analytics::efficiency`; units and definitions in `shared::efficiency`.

use crate::anomalies::window::{node_infos, NodeInfo};
use crate::error::OrInternal;
use crate::storage::entities::{districts, network_efficiency as ne};
use crate::storage::sql::stmt;
use crate::storage::tenant_scope;
use analytics::efficiency as f;
use app::ssr::{Caller, EfficiencyPort};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, TransactionTrait,
};
use shared::efficiency::{EfficiencyQuery, EfficiencyRow, Period};
use shared::{AppError, Metric, NodeKind};
use std::collections::HashMap;

#[derive(FromQueryResult)]
struct Hourly {
    node_id: i64,
    metric: i16,
    bucket: DateTime<Utc>,
    mean: f64,
}

/// What one district brings to the balance.
#[derive(Default)]
struct Assets {
    mains_km: Option<f64>,
    connections: Option<f64>,
    customer_pipe_km: Option<f64>,
    pressure_bar: Option<f64>,
}

/// Hourly means of a set of nodes: per hour the sum (flows) and the mean (pressure).
fn hourly(
    nodes: &[i64],
    means: &HashMap<(i64, i16), [f64; 24]>,
    metric: Metric,
) -> ([f64; 24], [f64; 24]) {
    let mut sum = [f64::NAN; 24];
    let mut avg = [f64::NAN; 24];
    for h in 0..24 {
        let vals: Vec<f64> = nodes
            .iter()
            .filter_map(|n| means.get(&(*n, metric.code())).map(|v| v[h]))
            .filter(|v| v.is_finite())
            .collect();
        // A flow sum counts only when every meter reported that hour (else it would undercount).
        if !vals.is_empty() && vals.len() == nodes.len() {
            sum[h] = vals.iter().sum();
        }
        if !vals.is_empty() {
            avg[h] = vals.iter().sum::<f64>() / vals.len() as f64;
        }
    }
    (sum, avg)
}

fn mean(v: &[f64]) -> Option<f64> {
    let ok: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    (!ok.is_empty()).then(|| ok.iter().sum::<f64>() / ok.len() as f64)
}

/// The rows of one group of nodes (a district, or all) for the local day starting at `start`.
fn rows_for(
    district: &str,
    nodes: &[&NodeInfo],
    means: &HashMap<(i64, i16), [f64; 24]>,
    assets: &Assets,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<ne::Model> {
    let ids = |kind: NodeKind| {
        nodes
            .iter()
            .filter(|n| n.kind == kind)
            .map(|n| n.id)
            .collect::<Vec<_>>()
    };
    let (inlets, meters, loggers) = (
        ids(NodeKind::Flow),
        ids(NodeKind::Meter),
        ids(NodeKind::Pressure),
    );
    if inlets.is_empty() {
        return Vec::new();
    }
    let (inflow, _) = hourly(&inlets, means, Metric::FlowRate);
    let (metered, _) = hourly(&meters, means, Metric::FlowRate);
    let (_, pressure) = hourly(&loggers, means, Metric::Pressure);
    let row = |period: Period, at: DateTime<Utc>, hours: &[usize]| {
        let covered: Vec<usize> = hours
            .iter()
            .copied()
            .filter(|h| inflow[*h].is_finite())
            .collect();
        let input: f64 = covered
            .iter()
            .map(|h| f::volume_m3(inflow[*h], 3600.0))
            .sum();
        let metered_m3 = (!meters.is_empty() && covered.iter().all(|h| metered[*h].is_finite()))
            .then(|| {
                covered
                    .iter()
                    .map(|h| f::volume_m3(metered[*h], 3600.0))
                    .sum::<f64>()
            });
        let (nrw, pct) = metered_m3.map_or((None, None), |m| {
            let (v, p) = f::non_revenue_water(input, m);
            (Some(v), p)
        });
        let days = covered.len() as f64 / 24.0;
        let per_conn = nrw
            .zip(assets.connections)
            .and_then(|(v, c)| f::litres_per_connection_day(v, c, days));
        let pressures: Vec<f64> = hours.iter().map(|h| pressure[*h]).collect();
        let avg_p = mean(&pressures);
        ne::Model {
            tenant_id: 0,
            district: district.to_owned(),
            period: period.as_str().into(),
            start: at,
            hours_covered: covered.len() as i32,
            input_m3: input,
            metered_m3,
            nrw_m3: nrw,
            nrw_pct: pct,
            nrw_l_conn_day: per_conn,
            mnf_lps: None,
            nnf_lps: None,
            real_losses_m3: None,
            uarl_m3: None,
            ili: None,
            avg_pressure_bar: avg_p,
            computed_at: now,
        }
    };
    let mut out: Vec<ne::Model> = (0..24)
        .filter(|h| inflow[*h].is_finite())
        .map(|h| row(Period::Hour, start + Duration::hours(h as i64), &[h]))
        .collect();
    let all: Vec<usize> = (0..24).collect();
    let mut day = row(Period::Day, start, &all);
    if day.hours_covered > 0 {
        // Night: 02:00-04:00 local, both hours present.
        if inflow[2].is_finite() && inflow[3].is_finite() {
            let mnf = (inflow[2] + inflow[3]) / 2.0;
            day.mnf_lps = Some(mnf);
            let night_p = mean(&[pressure[2], pressure[3]]);
            if let Some(conn) = assets.connections {
                let nnf = f::net_night_flow(mnf, conn);
                let ndf = f::night_day_factor(&pressure, night_p);
                let losses = f::real_losses_m3_per_day(nnf, ndf);
                day.nnf_lps = Some(nnf);
                day.real_losses_m3 = Some(losses);
                let p = assets.pressure_bar.or(day.avg_pressure_bar);
                if let (Some(lm), Some(p)) = (assets.mains_km, p) {
                    let uarl =
                        f::uarl_litres_per_day(lm, conn, assets.customer_pipe_km.unwrap_or(0.0), p);
                    day.uarl_m3 = Some(uarl / 1000.0);
                    day.ili = f::infrastructure_leakage_index(losses, uarl);
                }
            }
        }
        out.push(day);
    }
    out
}

/// Computes the figures of the local day starting at `start` for every district and the network.
pub async fn compute_day(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    nodes: &HashMap<i64, NodeInfo>,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ne::Model>, DbErr> {
    let rows = Hourly::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT node_id, metric, bucket, sum_value / count AS mean FROM readings_hourly \
         WHERE tenant_id = ? AND bucket >= ? AND bucket < ? AND metric IN (?, ?) AND count > 0",
        vec![
            tenant_id.into(),
            start.into(),
            (start + Duration::days(1)).into(),
            Metric::FlowRate.code().into(),
            Metric::Pressure.code().into(),
        ],
    ))
    .all(db)
    .await?;
    let mut means: HashMap<(i64, i16), [f64; 24]> = HashMap::new();
    for r in rows {
        let h = (r.bucket - start).num_hours();
        if (0..24).contains(&h) {
            means.entry((r.node_id, r.metric)).or_insert([f64::NAN; 24])[h as usize] = r.mean;
        }
    }
    let dists = districts::Entity::find()
        .filter(districts::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?;
    let mut out = Vec::new();
    let all: Vec<&NodeInfo> = nodes.values().collect();
    let sum = |f: &dyn Fn(&districts::Model) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = dists.iter().filter_map(f).collect();
        (!v.is_empty() && v.len() == dists.len()).then(|| v.iter().sum())
    };
    let network = Assets {
        mains_km: sum(&|d| d.mains_length_km),
        connections: sum(&|d| d.service_connections.map(f64::from)),
        customer_pipe_km: sum(&|d| d.customer_pipe_km),
        pressure_bar: None,
    };
    out.extend(rows_for("", &all, &means, &network, start, now));
    for d in &dists {
        let members: Vec<&NodeInfo> = all
            .iter()
            .copied()
            .filter(|n| n.district.as_deref() == Some(d.name.as_str()))
            .collect();
        let assets = Assets {
            mains_km: d.mains_length_km,
            connections: d.service_connections.map(f64::from),
            customer_pipe_km: d.customer_pipe_km,
            pressure_bar: d.avg_pressure_bar,
        };
        out.extend(rows_for(&d.name, &members, &means, &assets, start, now));
    }
    for r in &mut out {
        r.tenant_id = tenant_id;
    }
    Ok(out)
}

/// Local midnight (in UTC) of the day containing `at` in a zone `offset` seconds from UTC.
pub fn local_day_start(at: DateTime<Utc>, offset: i64) -> DateTime<Utc> {
    let local = at.timestamp() + offset;
    DateTime::from_timestamp(local - local.rem_euclid(86_400) - offset, 0).unwrap_or(at)
}

/// Recomputes and stores the days `days_back..=0` before `now` (local days); returns rows written.
pub async fn refresh(
    db: &DatabaseConnection,
    tenant_id: i64,
    zone: &str,
    now: DateTime<Utc>,
    days_back: i64,
) -> Result<u64, DbErr> {
    let nodes = node_infos(db, tenant_id).await?;
    let offset = crate::anomalies::engine::utc_offset(zone, now);
    let today = local_day_start(now, offset);
    let txn = db.begin().await?;
    let mut written = 0;
    for back in (0..=days_back).rev() {
        let start = today - Duration::days(back);
        let rows = compute_day(&txn, tenant_id, &nodes, start, now).await?;
        ne::Entity::delete_many()
            .filter(ne::Column::TenantId.eq(tenant_id))
            .filter(ne::Column::Start.gte(start))
            .filter(ne::Column::Start.lt(start + Duration::days(1)))
            .exec(&txn)
            .await?;
        written += rows.len() as u64;
        if !rows.is_empty() {
            ne::Entity::insert_many(
                rows.into_iter()
                    .map(sea_orm::IntoActiveModel::into_active_model),
            )
            .exec(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(written)
}

fn to_wire(r: ne::Model) -> Option<EfficiencyRow> {
    Some(EfficiencyRow {
        district: (!r.district.is_empty()).then_some(r.district),
        period: Period::parse(&r.period)?,
        start: r.start,
        hours_covered: r.hours_covered,
        input_m3: r.input_m3,
        metered_m3: r.metered_m3,
        nrw_m3: r.nrw_m3,
        nrw_pct: r.nrw_pct,
        nrw_l_per_connection_day: r.nrw_l_conn_day,
        mnf_lps: r.mnf_lps,
        net_night_flow_lps: r.nnf_lps,
        real_losses_m3: r.real_losses_m3,
        uarl_m3: r.uarl_m3,
        ili: r.ili,
        avg_pressure_bar: r.avg_pressure_bar,
    })
}

/// Stored figures for the caller's tenant.
pub struct EfficiencyService {
    pub db: DatabaseConnection,
}

#[async_trait]
impl EfficiencyPort for EfficiencyService {
    async fn rows(
        &self,
        caller: &Caller,
        q: EfficiencyQuery,
    ) -> Result<Vec<EfficiencyRow>, AppError> {
        caller.require_read()?;
        if q.from >= q.to {
            return Err(AppError::validation("from", "must be before `to`"));
        }
        if q.to - q.from > Duration::days(if q.period == Period::Hour { 93 } else { 3660 }) {
            return Err(AppError::validation(
                "to",
                "range too long for this period (hours: 93 days, days: 10 years)",
            ));
        }
        let scoped = tenant_scope::open(&self.db, caller.tenant.id).await?;
        Ok(ne::Entity::find()
            .filter(ne::Column::TenantId.eq(caller.tenant.id))
            .filter(ne::Column::District.eq(q.district.unwrap_or_default()))
            .filter(ne::Column::Period.eq(q.period.as_str()))
            .filter(ne::Column::Start.gte(q.from))
            .filter(ne::Column::Start.lt(q.to))
            .order_by_asc(ne::Column::Start)
            .all(&scoped)
            .await
            .or_internal("reading efficiency figures")?
            .into_iter()
            .filter_map(to_wire)
            .collect())
    }
}

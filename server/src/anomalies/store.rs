//! Incidents in the database: what the tracker needs between runs, what it changed, and what
//! operators see and do.

use analytics::incidents::{Affected, Incident as Tracked, IncidentKind, TrackerEvent};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use shared::anomaly::{
    AffectedSensor, AnomalyKind, Incident, IncidentFilter, IncidentStatus, Severity,
};
use std::collections::HashMap;

use crate::storage::entities::incidents;

/// The wire kind of a tracker kind.
pub fn kind_of(k: IncidentKind) -> AnomalyKind {
    match k {
        IncidentKind::Leak => AnomalyKind::Leak,
        IncidentKind::PressureDrop => AnomalyKind::PressureDrop,
        IncidentKind::PressureRise => AnomalyKind::PressureRise,
        IncidentKind::NightFlowRise => AnomalyKind::NightFlowRise,
        IncidentKind::SensorMissing => AnomalyKind::SensorMissing,
        IncidentKind::SensorStuck => AnomalyKind::SensorStuck,
        IncidentKind::SensorSpike => AnomalyKind::SensorSpike,
        IncidentKind::SensorOutOfRange => AnomalyKind::SensorOutOfRange,
        IncidentKind::SensorDrift => AnomalyKind::SensorDrift,
    }
}

fn tracker_kind(k: AnomalyKind) -> IncidentKind {
    match k {
        AnomalyKind::Leak => IncidentKind::Leak,
        AnomalyKind::PressureDrop => IncidentKind::PressureDrop,
        AnomalyKind::PressureRise => IncidentKind::PressureRise,
        AnomalyKind::NightFlowRise => IncidentKind::NightFlowRise,
        AnomalyKind::SensorMissing => IncidentKind::SensorMissing,
        AnomalyKind::SensorStuck => IncidentKind::SensorStuck,
        AnomalyKind::SensorSpike => IncidentKind::SensorSpike,
        AnomalyKind::SensorOutOfRange => IncidentKind::SensorOutOfRange,
        AnomalyKind::SensorDrift => IncidentKind::SensorDrift,
    }
}

/// How urgent an incident is: a strong leak is critical; a lost or stuck sensor is a warning
/// (the network is unwatched there); a single missing reading or spike is information.
pub fn severity(kind: IncidentKind, score: f64) -> Severity {
    match kind {
        IncidentKind::Leak if score.abs() >= 6.0 => Severity::Critical,
        IncidentKind::SensorMissing | IncidentKind::SensorSpike => Severity::Info,
        _ => Severity::Warning,
    }
}

fn ts(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

/// The incidents the tracker still extends (not yet ended), as the tracker keeps them.
pub async fn open_tracked(
    db: &impl ConnectionTrait,
    tenant_id: i64,
) -> Result<Vec<Tracked>, DbErr> {
    let rows = incidents::Entity::find()
        .filter(incidents::Column::TenantId.eq(tenant_id))
        .filter(incidents::Column::EndedAt.is_null())
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Tracked {
                uid: r.uid,
                key: r.dedupe_key,
                kind: tracker_kind(AnomalyKind::parse(&r.kind)?),
                start: r.started_at.timestamp(),
                detected_at: r.detected_at.timestamp(),
                last_seen: r.last_seen_at.timestamp(),
                end: None,
                score: r.score,
                district: r.district,
                affected: serde_json::from_str(&r.affected).unwrap_or_default(),
                explanation: r.explanation,
            })
        })
        .collect())
}

/// Writes what one run changed; returns the incidents it opened.
pub async fn apply(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    events: &[TrackerEvent],
) -> Result<Vec<Tracked>, DbErr> {
    let mut opened = Vec::new();
    // Several events of one incident in a run: the last state wins.
    let mut latest: HashMap<&str, (&Tracked, bool)> = HashMap::new();
    for ev in events {
        match ev {
            TrackerEvent::Opened(i) => {
                let affected = serde_json::to_string(&i.affected).unwrap_or_else(|_| "[]".into());
                incidents::Entity::insert(incidents::ActiveModel {
                    tenant_id: Set(tenant_id),
                    uid: Set(i.uid.clone()),
                    dedupe_key: Set(i.key.clone()),
                    kind: Set(kind_of(i.kind).as_str().into()),
                    severity: Set(severity(i.kind, i.score).as_str().into()),
                    status: Set(IncidentStatus::Open.as_str().into()),
                    district: Set(i.district.clone()),
                    started_at: Set(ts(i.start)),
                    detected_at: Set(ts(i.detected_at)),
                    last_seen_at: Set(ts(i.last_seen)),
                    ended_at: Set(None),
                    score: Set(i.score),
                    affected: Set(affected),
                    explanation: Set(i.explanation.clone()),
                    ..Default::default()
                })
                .on_conflict(
                    sea_orm::sea_query::OnConflict::columns([
                        incidents::Column::TenantId,
                        incidents::Column::Uid,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .do_nothing()
                .exec(db)
                .await?;
                opened.push(i.clone());
            }
            TrackerEvent::Updated(i) => {
                latest.insert(&i.uid, (i, false));
            }
            TrackerEvent::Closed(i) => {
                latest.insert(&i.uid, (i, true));
            }
        }
    }
    for (uid, (i, closed)) in latest {
        let affected = serde_json::to_string(&i.affected).unwrap_or_else(|_| "[]".into());
        let mut update = incidents::Entity::update_many()
            .col_expr(incidents::Column::DedupeKey, Expr::value(i.key.clone()))
            .col_expr(
                incidents::Column::Kind,
                Expr::value(kind_of(i.kind).as_str()),
            )
            .col_expr(
                incidents::Column::Severity,
                Expr::value(severity(i.kind, i.score).as_str()),
            )
            .col_expr(incidents::Column::District, Expr::value(i.district.clone()))
            .col_expr(incidents::Column::StartedAt, Expr::value(ts(i.start)))
            .col_expr(incidents::Column::LastSeenAt, Expr::value(ts(i.last_seen)))
            .col_expr(incidents::Column::Score, Expr::value(i.score))
            .col_expr(incidents::Column::Affected, Expr::value(affected))
            .col_expr(
                incidents::Column::Explanation,
                Expr::value(i.explanation.clone()),
            );
        if closed {
            update = update.col_expr(incidents::Column::EndedAt, Expr::value(i.end.map(ts)));
        }
        update
            .filter(incidents::Column::TenantId.eq(tenant_id))
            .filter(incidents::Column::Uid.eq(uid))
            .exec(db)
            .await?;
    }
    Ok(opened)
}

/// The wire view of a stored incident (`node_ids` maps external ids to node ids).
pub fn to_wire(r: incidents::Model, node_ids: &HashMap<String, i64>) -> Option<Incident> {
    let affected: Vec<Affected> = serde_json::from_str(&r.affected).unwrap_or_default();
    Some(Incident {
        id: r.id,
        kind: AnomalyKind::parse(&r.kind)?,
        severity: Severity::parse(&r.severity).unwrap_or(Severity::Warning),
        status: IncidentStatus::parse(&r.status).unwrap_or(IncidentStatus::Open),
        district: r.district,
        started_at: r.started_at,
        detected_at: r.detected_at,
        last_seen_at: r.last_seen_at,
        ended_at: r.ended_at,
        score: r.score,
        affected: affected
            .into_iter()
            .map(|a| AffectedSensor {
                node_id: node_ids.get(&a.node).copied(),
                external_id: a.node,
                metric: a.metric,
                score: a.score,
                expected: a.expected,
                actual: a.actual,
                since: ts(a.since),
            })
            .collect(),
        explanation: r.explanation,
        acknowledged_by: r.acknowledged_by,
        acknowledged_at: r.acknowledged_at,
        resolved_by: r.resolved_by,
        resolved_at: r.resolved_at,
        comment: r.comment,
    })
}

/// Deletes the tenant's resolved incidents whose evidence ended before `before`; returns how many.
pub async fn purge_resolved(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(incidents::Entity::delete_many()
        .filter(incidents::Column::TenantId.eq(tenant_id))
        .filter(incidents::Column::Status.eq(IncidentStatus::Resolved.as_str()))
        .filter(incidents::Column::EndedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Stored incidents of a tenant matching `filter`, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    filter: &IncidentFilter,
) -> Result<Vec<incidents::Model>, DbErr> {
    let mut q = incidents::Entity::find().filter(incidents::Column::TenantId.eq(tenant_id));
    if let Some(from) = filter.from {
        q = q.filter(incidents::Column::DetectedAt.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(incidents::Column::DetectedAt.lt(to));
    }
    if let Some(status) = filter.status {
        q = q.filter(incidents::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        q = q.filter(incidents::Column::Kind.eq(kind.as_str()));
    }
    if let Some(severity) = filter.severity {
        q = q.filter(incidents::Column::Severity.eq(severity.as_str()));
    }
    if let Some(district) = &filter.district {
        q = q.filter(incidents::Column::District.eq(district.as_str()));
    }
    q.order_by_desc(incidents::Column::DetectedAt)
        .order_by_desc(incidents::Column::Id)
        .limit(filter.limit.unwrap_or(200).clamp(1, 1000))
        .all(db)
        .await
}

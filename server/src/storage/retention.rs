//! Retention: raw readings older than each tenant's `raw_retention_days` are deleted; the
//! hourly and daily rollups are kept (they are refreshed first, so nothing pending is lost).
//! Called by the weekly cleanup job.

use super::entities::tenants;
use super::rollups;
use super::sql::stmt;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};

/// Raw readings deleted for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    /// Tenant id.
    pub tenant_id: i64,
    /// Readings older than this were deleted.
    pub before: DateTime<Utc>,
    /// How many.
    pub deleted: u64,
}

/// Applies every tenant's retention as of `now`.
pub async fn apply(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<Purged>, DbErr> {
    let mut out = Vec::new();
    for tenant in tenants::Entity::find().all(db).await? {
        out.push(apply_tenant(db, tenant.id, now).await?);
    }
    Ok(out)
}

/// Applies one tenant's retention as of `now` (pending rollup work is done first).
pub async fn apply_tenant(
    db: &DatabaseConnection,
    tenant_id: i64,
    now: DateTime<Utc>,
) -> Result<Purged, DbErr> {
    rollups::refresh(db).await?;
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("tenant {tenant_id}")))?;
    let days = i64::from(tenant.raw_retention_days.max(1));
    let before = now - Duration::days(days);
    let deleted = db
        .execute(stmt(
            db.get_database_backend(),
            "DELETE FROM readings WHERE tenant_id = ? AND ts < ?",
            vec![tenant.id.into(), before.into()],
        ))
        .await?
        .rows_affected();
    if deleted > 0 {
        tracing::info!(tenant = %tenant.slug, deleted, %before, "raw readings past retention deleted");
    }
    Ok(Purged {
        tenant_id: tenant.id,
        before,
        deleted,
    })
}

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
    rollups::refresh(db).await?;
    let mut out = Vec::new();
    for tenant in tenants::Entity::find().all(db).await? {
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
        out.push(Purged {
            tenant_id: tenant.id,
            before,
            deleted,
        });
    }
    Ok(out)
}

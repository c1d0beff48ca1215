//! Weekly system maintenance: old job runs, expired sessions and used refresh tokens are
//! deleted; on PostgreSQL, months of readings that have ended get their index by series
//! (`storage::partitions::index_closed_months`), tables left by interrupted bulk loads are
//! dropped, and statistics and visibility maps are brought up to date.

use super::{Job, JobContext, JobReport};
use crate::storage::entities::{job_runs, refresh_tokens, sessions};
use async_trait::async_trait;
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter};

/// System-wide housekeeping.
pub struct Maintenance;

#[async_trait]
impl Job for Maintenance {
    fn name(&self) -> &'static str {
        "maintenance"
    }

    fn description(&self) -> &'static str {
        "Deletes old job runs and expired sessions; indexes closed months of readings by series and runs VACUUM ANALYZE on PostgreSQL"
    }

    fn per_tenant(&self) -> bool {
        false
    }

    async fn run(&self, ctx: &JobContext) -> anyhow::Result<JobReport> {
        let now = ctx.scheduled_at;
        let runs = job_runs::Entity::delete_many()
            .filter(job_runs::Column::StartedAt.lt(now - ctx.settings.keep_runs))
            .filter(job_runs::Column::Status.ne("running"))
            .exec(&ctx.db)
            .await?
            .rows_affected;
        // Used refresh tokens are only needed to detect reuse while their session lives.
        let tokens = refresh_tokens::Entity::delete_many()
            .filter(
                refresh_tokens::Column::ExpiresAt
                    .lt(now)
                    .or(refresh_tokens::Column::UsedAt.lt(now - Duration::days(1))),
            )
            .exec(&ctx.db)
            .await?
            .rows_affected;
        // The tokens of expired sessions, in one statement.
        refresh_tokens::Entity::delete_many()
            .filter(
                refresh_tokens::Column::SessionHash.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(sessions::Column::TokenHash)
                        .from(sessions::Entity)
                        .and_where(sessions::Column::ExpiresAt.lt(now))
                        .to_owned(),
                ),
            )
            .exec(&ctx.db)
            .await?;
        let sessions = sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lt(now))
            .exec(&ctx.db)
            .await?
            .rows_affected;
        let indexed = crate::storage::partitions::index_closed_months(&ctx.db, now).await?;
        let mut orphans = 0;
        let vacuum = match ctx.db.get_database_backend() {
            DbBackend::Postgres => {
                // Tables of bulk loads interrupted after a month was complete.
                orphans =
                    crate::storage::readings::drop_orphans(ctx.db.get_postgres_connection_pool())
                        .await?;
                ctx.db.execute_unprepared("VACUUM ANALYZE").await?;
                "VACUUM ANALYZE done"
            }
            _ => {
                ctx.db.execute_unprepared("PRAGMA optimize").await?;
                "PRAGMA optimize done"
            }
        };
        Ok(JobReport {
            rows: runs + tokens + sessions,
            detail: format!(
                "{runs} old job runs, {sessions} expired sessions and {tokens} spent refresh \
                 tokens deleted; {indexed} closed months of readings indexed by series; {orphans} \
                 tables of interrupted bulk loads dropped; {vacuum}"
            ),
        })
    }
}

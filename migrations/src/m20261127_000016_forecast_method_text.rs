//! A forecast's `method` names the combination it came from and each member's weight
//! (`combination(mstl_ets 27 %, week_profile 26 %, …)`), longer than the 32 characters the
//! column was made with. PostgreSQL enforces the length, so the column becomes `text` there;
//! SQLite does not enforce declared lengths and has no `ALTER COLUMN`: nothing to do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE forecasts ALTER COLUMN method TYPE text")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE forecasts ALTER COLUMN method TYPE varchar(32) \
                 USING left(method, 32)",
            )
            .await?;
        }
        Ok(())
    }
}

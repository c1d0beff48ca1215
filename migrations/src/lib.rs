//! The Roccavina schema. Every migration runs on SQLite (embedded default) and PostgreSQL,
//! and every migration has a `down`.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_tenants_users;
mod m20261127_000002_create_nodes_readings;
mod m20261127_000003_create_sessions;
mod m20261127_000004_create_audit_log;
mod m20261127_000005_create_api_keys;
mod m20261127_000006_create_invitations;
mod m20261127_000007_create_refresh_tokens;
mod m20261127_000008_create_job_runs;
mod m20261127_000009_create_imported_files;
mod m20261127_000010_create_incidents;
mod m20261127_000011_create_network_efficiency;
mod m20261127_000012_readings_time_key;
mod m20261127_000013_create_forecasts;
mod m20261127_000014_partition_hourly_rollups;
mod m20261127_000015_row_level_security;
mod m20261127_000016_forecast_method_text;
mod m20261128_000017_create_district_forecasts;

pub use m20261127_000015_row_level_security::{protect_tenant_tables, TENANT_ROLE, TENANT_SETTING};

/// Applies the migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_tenants_users::Migration),
            Box::new(m20261127_000002_create_nodes_readings::Migration),
            Box::new(m20261127_000003_create_sessions::Migration),
            Box::new(m20261127_000004_create_audit_log::Migration),
            Box::new(m20261127_000005_create_api_keys::Migration),
            Box::new(m20261127_000006_create_invitations::Migration),
            Box::new(m20261127_000007_create_refresh_tokens::Migration),
            Box::new(m20261127_000008_create_job_runs::Migration),
            Box::new(m20261127_000009_create_imported_files::Migration),
            Box::new(m20261127_000010_create_incidents::Migration),
            Box::new(m20261127_000011_create_network_efficiency::Migration),
            Box::new(m20261127_000012_readings_time_key::Migration),
            Box::new(m20261127_000013_create_forecasts::Migration),
            Box::new(m20261127_000014_partition_hourly_rollups::Migration),
            Box::new(m20261127_000015_row_level_security::Migration),
            Box::new(m20261127_000016_forecast_method_text::Migration),
            Box::new(m20261128_000017_create_district_forecasts::Migration),
        ]
    }
}

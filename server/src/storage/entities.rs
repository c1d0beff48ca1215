//! sea-orm entities, one file per table.

pub mod api_keys;
pub mod audit_log;
pub mod data_quality_reports;
pub mod districts;
pub mod imported_files;
pub mod incidents;
pub mod invitations;
pub mod job_runs;
pub mod latest_readings;
pub mod memberships;
pub mod network_efficiency;
pub mod nodes;
pub mod readings;
pub mod refresh_tokens;
pub mod sessions;
pub mod signing_keys;
pub mod sync_watermarks;
pub mod tenants;
pub mod users;

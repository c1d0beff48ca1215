//! sea-orm entities, one file per table.

pub mod api_keys;
pub mod audit_log;
pub mod districts;
pub mod invitations;
pub mod latest_readings;
pub mod memberships;
pub mod nodes;
pub mod readings;
pub mod refresh_tokens;
pub mod sessions;
pub mod signing_keys;
pub mod tenants;
pub mod users;

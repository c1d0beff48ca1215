//! Tenant administration: members, invitations, API keys, jobs and the audit log.

mod create_api_key;
mod create_invitation;
mod list_api_keys;
mod list_jobs;
mod list_members;
mod read_audit_log;
mod remove_member;
mod revoke_api_key;
mod run_job;
mod set_member_role;

pub use create_api_key::{create_api_key, CreateApiKey};
pub use create_invitation::{create_invitation, CreateInvitation};
pub use list_api_keys::{list_api_keys, ListApiKeys};
pub use list_jobs::{list_jobs, ListJobs};
pub use list_members::{list_members, ListMembers};
pub use read_audit_log::{read_audit_log, ReadAuditLog};
pub use remove_member::{remove_member, RemoveMember};
pub use revoke_api_key::{revoke_api_key, RevokeApiKey};
pub use run_job::{run_job, RunJob};
pub use set_member_role::{set_member_role, SetMemberRole};

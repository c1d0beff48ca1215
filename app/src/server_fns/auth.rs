//! Signing in and out, and who is signed in.

mod current_user;
mod join_tenant;
mod leave_tenant;
mod list_tenants;
mod login;
mod logout;
mod register;
mod switch_tenant;

pub use current_user::{current_user, CurrentUser};
pub use join_tenant::{join_tenant, JoinTenant};
pub use leave_tenant::{leave_tenant, LeaveTenant};
pub use list_tenants::{list_tenants, ListTenants};
pub use login::{login, Login};
pub use logout::{logout, Logout};
pub use register::{register, Register};
pub use switch_tenant::{switch_tenant, SwitchTenant};

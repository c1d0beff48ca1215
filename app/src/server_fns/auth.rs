//! Signing in and out, and who is signed in.

mod current_user;
mod login;
mod logout;

pub use current_user::{current_user, CurrentUser};
pub use login::{login, Login};
pub use logout::{logout, Logout};

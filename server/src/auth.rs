//! Credentials and sessions: argon2id password hashes and opaque, hashed session tokens.

pub mod api_keys;
pub mod audit;
pub mod cookies;
pub mod jwt;
pub mod members;
pub mod password;
pub mod registration;
pub mod service;
pub mod sessions;
pub mod throttle;
pub mod token;

pub use service::AuthService;

//! Where sessions (token families) and their refresh tokens live: Redis when `REDIS_URL` is
//! set — shared by every replica, expired by Redis itself — or the database on the embedded
//! default. Both keep only SHA-256 digests of refresh tokens, and both claim a refresh token
//! atomically, so exactly one of two racing callers rotates it.
//!
//! Redis layout (all keys expire with the session):
//! * `auth:session:{sid}` — hash: `user_id`, `tenant_id`, `created_at`, `expires_at`, `ip`;
//! * `auth:session:{sid}:tokens` — set of the digests of the session's refresh tokens;
//! * `auth:refresh:{digest}` — hash: `sid`, `created_at`, `expires_at`, `used_at` once used.
//!
//! Redis is then the authority: while it is unreachable, sessions cannot be checked and
//! callers get 503 (`Unavailable`) rather than a session that was revoked elsewhere.

use crate::error::OrInternal;
use crate::storage::entities::{refresh_tokens, sessions};
use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use shared::AppError;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The session and refresh-token store.
#[derive(Clone)]
pub enum SessionStore {
    /// Tables `sessions` and `refresh_tokens`.
    Database(DatabaseConnection),
    /// Redis keys under `auth:` (see the module documentation).
    Redis(RedisSessions),
}

/// A lazily opened, self-reconnecting Redis connection.
#[derive(Clone)]
pub struct RedisSessions {
    client: redis::Client,
    conn: std::sync::Arc<OnceCell<ConnectionManager>>,
}

const SESSION: &str = "auth:session:";
const REFRESH: &str = "auth:refresh:";

/// Sets `used_at` once, only on a token that still exists: 1 claimed, 0 already used, -1 gone.
const CLAIM: &str = "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end \
                     return redis.call('HSETNX', KEYS[1], 'used_at', ARGV[1])";
/// Changes the session's tenant only while the session exists.
const SET_TENANT: &str = "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end \
                          redis.call('HSET', KEYS[1], 'tenant_id', ARGV[1]) return 1";
/// Deletes a session, its token set and every token in it.
const END: &str = "for _, t in ipairs(redis.call('SMEMBERS', KEYS[2])) do \
                       redis.call('DEL', ARGV[1] .. t) end \
                   return redis.call('DEL', KEYS[1], KEYS[2])";

fn unavailable(what: &'static str) -> impl FnOnce(redis::RedisError) -> AppError {
    move |e| {
        tracing::error!(error = %e, "{what}");
        AppError::Unavailable {
            what: "the session store".into(),
        }
    }
}

fn ts(s: Option<&String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl RedisSessions {
    /// A store over Redis at `client` (connects at first use).
    pub fn new(client: redis::Client) -> Self {
        Self {
            client,
            conn: std::sync::Arc::new(OnceCell::new()),
        }
    }

    async fn conn(&self) -> Result<ConnectionManager, AppError> {
        self.conn
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Duration::from_millis(2_000))
                    .set_response_timeout(Duration::from_millis(2_000));
                ConnectionManager::new_with_config(self.client.clone(), config).await
            })
            .await
            .cloned()
            .map_err(unavailable("connecting to Redis for sessions"))
    }

    async fn hash(&self, key: &str) -> Result<HashMap<String, String>, AppError> {
        redis::cmd("HGETALL")
            .arg(key)
            .query_async(&mut self.conn().await?)
            .await
            .map_err(unavailable("reading a session"))
    }

    async fn eval(&self, script: &str, keys: &[&str], args: &[&str]) -> Result<i64, AppError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(script).arg(keys.len()).arg(keys).arg(args);
        cmd.query_async(&mut self.conn().await?)
            .await
            .map_err(unavailable("updating a session"))
    }
}

impl SessionStore {
    /// Stores a new session.
    pub async fn create(&self, s: &sessions::Model) -> Result<(), AppError> {
        match self {
            Self::Database(db) => {
                sessions::Entity::insert(sessions::ActiveModel::from(s.clone()))
                    .exec_without_returning(db)
                    .await
                    .or_internal("storing a session")?;
            }
            Self::Redis(r) => {
                let key = format!("{SESSION}{}", s.token_hash);
                let _: () = redis::pipe()
                    .atomic()
                    .hset_multiple(
                        &key,
                        &[
                            ("user_id", s.user_id.to_string()),
                            ("tenant_id", s.tenant_id.to_string()),
                            ("created_at", s.created_at.to_rfc3339()),
                            ("expires_at", s.expires_at.to_rfc3339()),
                            ("ip", s.ip.clone().unwrap_or_default()),
                        ],
                    )
                    .ignore()
                    .cmd("PEXPIREAT")
                    .arg(&key)
                    .arg(s.expires_at.timestamp_millis())
                    .ignore()
                    .query_async(&mut r.conn().await?)
                    .await
                    .map_err(unavailable("storing a session"))?;
            }
        }
        Ok(())
    }

    /// The session `sid` if it exists and has not expired.
    pub async fn get(&self, sid: &str) -> Result<Option<sessions::Model>, AppError> {
        let now = Utc::now();
        let found = match self {
            Self::Database(db) => sessions::Entity::find_by_id(sid.to_owned())
                .one(db)
                .await
                .or_internal("loading a session")?,
            Self::Redis(r) => {
                let h = r.hash(&format!("{SESSION}{sid}")).await?;
                let number = |k: &str| h.get(k).and_then(|v| v.parse::<i64>().ok());
                match (
                    number("user_id"),
                    number("tenant_id"),
                    ts(h.get("created_at")),
                    ts(h.get("expires_at")),
                ) {
                    (Some(user_id), Some(tenant_id), Some(created_at), Some(expires_at)) => {
                        Some(sessions::Model {
                            token_hash: sid.to_owned(),
                            user_id,
                            tenant_id,
                            created_at,
                            expires_at,
                            ip: h.get("ip").filter(|ip| !ip.is_empty()).cloned(),
                        })
                    }
                    _ => None,
                }
            }
        };
        Ok(found.filter(|s| s.expires_at > now))
    }

    /// Moves session `sid` to `tenant_id`.
    pub async fn set_tenant(&self, sid: &str, tenant_id: i64) -> Result<(), AppError> {
        match self {
            Self::Database(db) => {
                sessions::Entity::update_many()
                    .col_expr(sessions::Column::TenantId, tenant_id.into())
                    .filter(sessions::Column::TokenHash.eq(sid))
                    .exec(db)
                    .await
                    .or_internal("switching tenant")?;
            }
            Self::Redis(r) => {
                r.eval(
                    SET_TENANT,
                    &[&format!("{SESSION}{sid}")],
                    &[&tenant_id.to_string()],
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Deletes session `sid` and every refresh token of its family.
    pub async fn end(&self, sid: &str) -> Result<(), AppError> {
        match self {
            Self::Database(db) => {
                refresh_tokens::Entity::delete_many()
                    .filter(refresh_tokens::Column::SessionHash.eq(sid))
                    .exec(db)
                    .await
                    .or_internal("deleting refresh tokens")?;
                sessions::Entity::delete_by_id(sid.to_owned())
                    .exec(db)
                    .await
                    .or_internal("deleting a session")?;
            }
            Self::Redis(r) => {
                let key = format!("{SESSION}{sid}");
                r.eval(END, &[&key, &format!("{key}:tokens")], &[REFRESH])
                    .await?;
            }
        }
        Ok(())
    }

    /// Stores refresh token `digest` of session `sid`.
    pub async fn add_refresh(
        &self,
        digest: &str,
        sid: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let now = Utc::now();
        match self {
            Self::Database(db) => {
                refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
                    token_hash: Set(digest.to_owned()),
                    session_hash: Set(sid.to_owned()),
                    created_at: Set(now),
                    expires_at: Set(expires_at),
                    used_at: Set(None),
                })
                .exec_without_returning(db)
                .await
                .or_internal("storing a refresh token")?;
            }
            Self::Redis(r) => {
                let key = format!("{REFRESH}{digest}");
                let family = format!("{SESSION}{sid}:tokens");
                let at = expires_at.timestamp_millis();
                let _: () = redis::pipe()
                    .atomic()
                    .hset_multiple(
                        &key,
                        &[
                            ("sid", sid.to_owned()),
                            ("created_at", now.to_rfc3339()),
                            ("expires_at", expires_at.to_rfc3339()),
                        ],
                    )
                    .ignore()
                    .cmd("PEXPIREAT")
                    .arg(&key)
                    .arg(at)
                    .ignore()
                    .sadd(&family, digest)
                    .ignore()
                    .cmd("PEXPIREAT")
                    .arg(&family)
                    .arg(at)
                    .ignore()
                    .query_async(&mut r.conn().await?)
                    .await
                    .map_err(unavailable("storing a refresh token"))?;
            }
        }
        Ok(())
    }

    /// Refresh token `digest` if it exists and has not expired.
    pub async fn refresh_token(
        &self,
        digest: &str,
    ) -> Result<Option<refresh_tokens::Model>, AppError> {
        let now = Utc::now();
        let found = match self {
            Self::Database(db) => refresh_tokens::Entity::find_by_id(digest.to_owned())
                .one(db)
                .await
                .or_internal("looking up a refresh token")?,
            Self::Redis(r) => {
                let h = r.hash(&format!("{REFRESH}{digest}")).await?;
                match (
                    h.get("sid"),
                    ts(h.get("created_at")),
                    ts(h.get("expires_at")),
                ) {
                    (Some(sid), Some(created_at), Some(expires_at)) => {
                        Some(refresh_tokens::Model {
                            token_hash: digest.to_owned(),
                            session_hash: sid.clone(),
                            created_at,
                            expires_at,
                            used_at: ts(h.get("used_at")),
                        })
                    }
                    _ => None,
                }
            }
        };
        Ok(found.filter(|t| t.expires_at > now))
    }

    /// Marks refresh token `digest` used at `now`; true for exactly one caller.
    pub async fn claim(&self, digest: &str, now: DateTime<Utc>) -> Result<bool, AppError> {
        match self {
            Self::Database(db) => Ok(refresh_tokens::Entity::update_many()
                .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
                .filter(refresh_tokens::Column::TokenHash.eq(digest))
                .filter(refresh_tokens::Column::UsedAt.is_null())
                .exec(db)
                .await
                .or_internal("using a refresh token")?
                .rows_affected
                == 1),
            Self::Redis(r) => Ok(r
                .eval(
                    CLAIM,
                    &[&format!("{REFRESH}{digest}")],
                    &[&now.to_rfc3339()],
                )
                .await?
                == 1),
        }
    }
}

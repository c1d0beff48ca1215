//! The token side of sessions: the signing keys, issuing an access and refresh token pair
//! for a session, reading the session an access token names, and ending a session.

use super::AuthService;
use crate::auth::jwt::JwtKeys;
use crate::auth::token;
use crate::error::OrInternal;
use crate::storage::entities::{sessions, signing_keys};
use app::ssr::{IssuedSession, SessionToken};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};
use shared::AppError;

/// Key id of the signing key generated when none is configured.
const GENERATED_KID: &str = "db-1";

impl AuthService {
    /// The access-token keys: configured, or the database's (created once, the same for
    /// every replica: the first insert wins and everyone reads it back).
    pub(super) async fn keys(&self) -> Result<&JwtKeys, AppError> {
        self.keys
            .get_or_try_init(|| async {
                let secret = token::generate() + &token::generate();
                signing_keys::Entity::insert(signing_keys::ActiveModel {
                    kid: Set(GENERATED_KID.into()),
                    secret: Set(signing_keys::SigningSecret(secret)),
                    created_at: Set(Utc::now()),
                })
                .on_conflict(
                    OnConflict::column(signing_keys::Column::Kid)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
                .or_internal("creating the token signing key")?;
                let stored = signing_keys::Entity::find_by_id(GENERATED_KID)
                    .one(&self.db)
                    .await
                    .or_internal("loading the token signing key")?
                    .ok_or_else(|| AppError::Internal {
                        reference: "signing-key-missing".into(),
                    })?;
                JwtKeys::from_keys(vec![(stored.kid, stored.secret.0.into_bytes())])
                    .or_internal("loading the token signing key")
            })
            .await
    }

    /// The session id named by a valid access token.
    pub(super) async fn session_of(
        &self,
        access_token: &str,
        allow_expired: bool,
    ) -> Option<String> {
        let keys = self.keys().await.ok()?;
        keys.verify(access_token, allow_expired).ok().map(|c| c.sid)
    }

    /// A new refresh token for session `sid`.
    pub(super) async fn new_refresh_token(
        &self,
        sid: &str,
        expires_at: chrono::DateTime<Utc>,
    ) -> Result<SessionToken, AppError> {
        let clear = token::generate();
        self.store
            .add_refresh(&token::digest(&clear), sid, expires_at)
            .await?;
        Ok(SessionToken::new(clear))
    }

    /// A new access and refresh token for session `session`.
    pub(super) async fn issue(&self, session: &sessions::Model) -> Result<IssuedSession, AppError> {
        let now = Utc::now();
        let refresh_token = self
            .new_refresh_token(&session.token_hash, session.expires_at)
            .await?;
        let access = self.policy.access.min(session.expires_at - now);
        let access_token = self.keys().await?.sign(
            session.user_id,
            &session.token_hash,
            now.timestamp(),
            access.num_seconds(),
        );
        Ok(IssuedSession {
            access_token: SessionToken::new(access_token),
            expires_in_secs: access.num_seconds(),
            refresh_token,
            refresh_expires_in_secs: (session.expires_at - now).num_seconds(),
            caller: self.caller_for(&session.token_hash, None).await?,
        })
    }

    /// Deletes a session and every token of its family.
    pub(super) async fn end_session(&self, sid: &str) -> Result<(), AppError> {
        self.store.end(sid).await
    }
}

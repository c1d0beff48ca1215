//! Access tokens: short-lived JWTs (HS256) naming the user and the session they belong to.
//!
//! Keys carry an id (`kid` in the token header) so they can rotate: the first configured key
//! signs, every configured key verifies, and a token whose key was removed stops working.
//! Only HS256 is accepted (no `none`, no algorithm switching), and the issuer, audience and
//! expiry are always checked.

use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Issuer and audience of every access token.
pub const ISSUER: &str = "roccavina";
/// Audience of access tokens (the API and the web app).
pub const AUDIENCE: &str = "roccavina-api";
/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// User id.
    pub sub: String,
    /// Session (token family) id.
    pub sid: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Well signed, but past its expiry.
    Expired,
    /// Anything else: bad signature, unknown key, wrong algorithm, issuer or audience.
    Invalid,
}

/// The signing key and every verifying key.
pub struct JwtKeys {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("signing_kid", &self.signing_kid)
            .field("kids", &self.verifying.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl JwtKeys {
    /// Parses `kid:secret[,kid:secret…]`; the first key signs.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut keys: Vec<(String, Vec<u8>)> = Vec::new();
        for (i, part) in spec.split(',').map(str::trim).enumerate() {
            let (kid, secret) = part
                .split_once(':')
                .ok_or_else(|| format!("JWT_KEYS entry {}: expected kid:secret", i + 1))?;
            let kid = kid.trim();
            if kid.is_empty() || kid.len() > 64 {
                return Err(format!(
                    "JWT_KEYS entry {}: key id must be 1–64 characters",
                    i + 1
                ));
            }
            if secret.len() < MIN_SECRET_BYTES {
                return Err(format!(
                    "JWT_KEYS entry {} ({kid}): secret must be at least {MIN_SECRET_BYTES} bytes",
                    i + 1
                ));
            }
            if keys.iter().any(|(k, _)| k == kid) {
                return Err(format!("JWT_KEYS: key id {kid} appears twice"));
            }
            keys.push((kid.to_owned(), secret.as_bytes().to_vec()));
        }
        Self::from_keys(keys)
    }

    /// Keys from (kid, secret) pairs; the first signs.
    pub fn from_keys(keys: Vec<(String, Vec<u8>)>) -> Result<Self, String> {
        let (signing_kid, first) = keys.first().cloned().ok_or("no signing key")?;
        Ok(Self {
            signing_kid,
            signing: EncodingKey::from_secret(&first),
            verifying: keys
                .into_iter()
                .map(|(kid, secret)| (kid, DecodingKey::from_secret(&secret)))
                .collect(),
        })
    }

    /// A token for `user_id` in session `sid`, valid `ttl_secs` from `now` (Unix seconds).
    pub fn sign(&self, user_id: i64, sid: &str, now: i64, ttl_secs: i64) -> String {
        let header = Header {
            alg: Algorithm::HS256,
            kid: Some(self.signing_kid.clone()),
            ..Header::default()
        };
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.to_string(),
            sid: sid.to_owned(),
            iat: now,
            exp: now + ttl_secs,
        };
        // Encoding HS256 claims made of strings and integers cannot fail.
        encode(&header, &claims, &self.signing).unwrap_or_default()
    }

    /// Checks signature, key id, algorithm, issuer, audience and (unless `allow_expired`)
    /// expiry.
    pub fn verify(&self, token: &str, allow_expired: bool) -> Result<Claims, Refusal> {
        let header = decode_header(token).map_err(|_| Refusal::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(Refusal::Invalid);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying.get(kid))
            .ok_or(Refusal::Invalid)?;
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        validation.validate_exp = !allow_expired;
        decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Refusal::Expired,
                _ => Refusal::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const A: &str = "a-key-with-at-least-thirty-two-bytes-0001";
    const B: &str = "b-key-with-at-least-thirty-two-bytes-0002";

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn a_signed_token_verifies_and_names_its_key() {
        let keys = JwtKeys::parse(&format!("k1:{A}")).unwrap();
        let token = keys.sign(42, "sid-1", now(), 900);
        let claims = keys.verify(&token, false).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("42", "sid-1"));
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!(decode_header(&token).unwrap().kid.as_deref(), Some("k1"));
    }

    #[test]
    fn rotation_keeps_old_tokens_until_their_key_is_removed() {
        let old = JwtKeys::parse(&format!("k1:{A}")).unwrap();
        let token = old.sign(1, "s", now(), 900);
        let rotated = JwtKeys::parse(&format!("k2:{B},k1:{A}")).unwrap();
        assert!(rotated.verify(&token, false).is_ok());
        let fresh = rotated.sign(1, "s", now(), 900);
        assert_eq!(decode_header(&fresh).unwrap().kid.as_deref(), Some("k2"));
        let removed = JwtKeys::parse(&format!("k2:{B}")).unwrap();
        assert_eq!(removed.verify(&token, false), Err(Refusal::Invalid));
        assert!(removed.verify(&fresh, false).is_ok());
    }

    #[test]
    fn expired_tampered_and_unsigned_tokens_are_refused() {
        let keys = JwtKeys::parse(&format!("k1:{A}")).unwrap();
        let expired = keys.sign(1, "s", now() - 3_600, 900);
        assert_eq!(keys.verify(&expired, false), Err(Refusal::Expired));
        assert!(keys.verify(&expired, true).is_ok());

        let token = keys.sign(1, "s", now(), 900);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["sub"] = "2".into();
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        assert_eq!(keys.verify(&parts.join("."), false), Err(Refusal::Invalid));

        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert_eq!(keys.verify(&unsigned, false), Err(Refusal::Invalid));
        assert_eq!(keys.verify("not-a-token", false), Err(Refusal::Invalid));
    }

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        let keys = JwtKeys::parse(&format!("k1:{A}")).unwrap();
        let header = Header {
            alg: Algorithm::HS256,
            kid: Some("k1".into()),
            ..Header::default()
        };
        let mut claims = Claims {
            iss: ISSUER.into(),
            aud: "another-service".into(),
            sub: "1".into(),
            sid: "s".into(),
            iat: now(),
            exp: now() + 900,
        };
        let key = EncodingKey::from_secret(A.as_bytes());
        let wrong_aud = encode(&header, &claims, &key).unwrap();
        assert_eq!(keys.verify(&wrong_aud, false), Err(Refusal::Invalid));
        claims.aud = AUDIENCE.into();
        claims.iss = "someone-else".into();
        let wrong_iss = encode(&header, &claims, &key).unwrap();
        assert_eq!(keys.verify(&wrong_iss, false), Err(Refusal::Invalid));
    }

    #[test]
    fn bad_key_configuration_is_explained() {
        assert!(JwtKeys::parse("k1:short")
            .unwrap_err()
            .contains("at least 32"));
        assert!(JwtKeys::parse("nocolon")
            .unwrap_err()
            .contains("kid:secret"));
        assert!(JwtKeys::parse(&format!("k1:{A},k1:{B}"))
            .unwrap_err()
            .contains("twice"));
    }
}

//! Server-only side of the app: the ports (service traits) server functions call, and the
//! helpers that read the caller from the request. `server` implements the ports; the app
//! never learns what a database is.

use async_trait::async_trait;
use http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::*;
use shared::auth::{SessionUser, TenantRef};
use shared::dashboard::DashboardSummary;
use shared::{AppError, Role};
use std::sync::Arc;

/// Name of the cookie that carries the browser's short-lived access token (a JWT).
pub const ACCESS_COOKIE: &str = "rw_access";
/// Name of the cookie that carries the browser's refresh token (opaque, works once).
pub const REFRESH_COOKIE: &str = "rw_refresh";

/// The authenticated caller of a server function or REST route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// User id.
    pub user_id: i64,
    /// Login email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// The tenant this request acts in; every tenant query takes it from here.
    pub tenant: TenantRef,
    /// The caller's role in that tenant.
    pub role: Role,
    /// Set when the caller is an API key rather than a signed-in person.
    pub api_key: Option<ApiKeyAccess>,
}

/// What the API key behind a request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyAccess {
    /// Key id.
    pub id: i64,
    /// May read the tenant's data.
    pub read: bool,
    /// May send readings and nodes.
    pub ingest: bool,
}

impl Caller {
    /// Refuses unless the caller is a person whose role includes `required` (API keys never
    /// act with a role: they only read or ingest, as their scopes say).
    pub fn require(&self, required: Role) -> Result<(), AppError> {
        if self.api_key.is_none() && self.role.at_least(required) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Refuses an API key without the `read` scope (people may always read their tenant).
    pub fn require_read(&self) -> Result<(), AppError> {
        match self.api_key {
            Some(key) if !key.read => Err(AppError::Forbidden),
            _ => Ok(()),
        }
    }

    /// Allows operators and API keys with the `ingest` scope.
    pub fn require_ingest(&self) -> Result<(), AppError> {
        match self.api_key {
            Some(key) if key.ingest => Ok(()),
            Some(_) => Err(AppError::Forbidden),
            None => self.require(Role::Operator),
        }
    }

    /// The wire view of this caller.
    pub fn session_user(&self) -> SessionUser {
        SessionUser {
            user_id: self.user_id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            tenant: self.tenant.clone(),
            role: self.role,
        }
    }
}

/// A session token in clear. Never printed; only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// Wraps a token string.
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The token itself, for the cookie or the API answer.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// A login attempt as the port receives it.
pub struct LoginAttempt {
    /// Email as typed.
    pub email: String,
    /// Password as typed.
    pub password: String,
    /// Client address, for the session record and (later) throttling.
    pub ip: Option<String>,
}

/// Tokens the auth port has just issued (at sign-in or on refresh).
#[derive(Debug, Clone)]
pub struct IssuedSession {
    /// The access token (JWT) to send as `Authorization: Bearer` or in the access cookie.
    pub access_token: SessionToken,
    /// Access token lifetime in seconds.
    pub expires_in_secs: i64,
    /// The refresh token: works once, and gets a new pair.
    pub refresh_token: SessionToken,
    /// Seconds the session (the refresh token family) may still be refreshed.
    pub refresh_expires_in_secs: i64,
    /// Who signed in.
    pub caller: Caller,
}

/// Sign-in, sign-out and token checks.
#[async_trait]
pub trait AuthPort: Send + Sync {
    /// Checks the password and opens a session.
    async fn login(&self, attempt: LoginAttempt) -> Result<IssuedSession, AppError>;
    /// Creates an account (and a tenant, or joins one by invitation) and opens a session.
    async fn register(
        &self,
        request: shared::auth::RegisterRequest,
        ip: Option<String>,
    ) -> Result<IssuedSession, AppError>;
    /// Creates an invitation to the caller's tenant (admin only); the code is shown once.
    async fn create_invitation(
        &self,
        caller: &Caller,
        request: shared::auth::NewInvitation,
        ip: Option<String>,
    ) -> Result<shared::auth::CreatedInvitation, AppError>;
    /// Resolves an access token or API key to its caller, acting in `tenant` (an id or slug,
    /// e.g. from `X-Tenant-ID`) or else in the session's current tenant. `Unauthenticated`
    /// for a bad or expired token, `Forbidden` for a tenant the user is not (or no longer) a
    /// member of.
    async fn authenticate(&self, token: &str, tenant: Option<&str>) -> Result<Caller, AppError>;
    /// Whether an access token is well signed and unexpired (no database lookup): lets the
    /// browser's cookies be refreshed before the request is served.
    async fn access_token_current(&self, token: &str) -> bool;
    /// Trades a refresh token for a new access and refresh token. A refresh token works
    /// once: presenting a used one again revokes the whole session (`Unauthenticated`).
    async fn refresh(
        &self,
        refresh_token: &str,
        ip: Option<String>,
    ) -> Result<IssuedSession, AppError>;
    /// Ends the session behind an access token (even an expired one) or a refresh token;
    /// every token of the session stops working. No error if it was already gone.
    async fn logout(
        &self,
        access_token: Option<&str>,
        refresh_token: Option<&str>,
        ip: Option<String>,
    ) -> Result<(), AppError>;
    /// Every tenant the caller belongs to, with their role there.
    async fn tenants(
        &self,
        caller: &Caller,
    ) -> Result<Vec<shared::auth::TenantMembership>, AppError>;
    /// The caller (a person) joins another tenant with an invitation code.
    async fn join_tenant(
        &self,
        caller: &Caller,
        code: &str,
        ip: Option<String>,
    ) -> Result<shared::auth::TenantMembership, AppError>;
    /// Makes `tenant_id` the current tenant of the session behind an access token (a
    /// membership is required).
    async fn switch_tenant(
        &self,
        access_token: &str,
        tenant_id: i64,
        ip: Option<String>,
    ) -> Result<Caller, AppError>;
    /// The person behind an access token leaves tenant `tenant_id` (a membership is
    /// required; refused for its last admin and for the person's last tenant). When it was
    /// the session's current tenant, the session moves to another of their tenants. Returns
    /// the caller in the session's (new) current tenant.
    async fn leave_tenant(
        &self,
        access_token: &str,
        tenant_id: i64,
        ip: Option<String>,
    ) -> Result<Caller, AppError>;
    /// Creates an API key for the caller's tenant (admin only); the secret is in the answer only.
    async fn create_api_key(
        &self,
        caller: &Caller,
        request: shared::auth::NewApiKey,
        ip: Option<String>,
    ) -> Result<shared::auth::CreatedApiKey, AppError>;
    /// The tenant's API keys, newest first (admin only).
    async fn list_api_keys(
        &self,
        caller: &Caller,
    ) -> Result<Vec<shared::auth::ApiKeyInfo>, AppError>;
    /// Revokes one of the tenant's keys (admin only; 404 for another tenant's key).
    async fn revoke_api_key(
        &self,
        caller: &Caller,
        id: i64,
        ip: Option<String>,
    ) -> Result<(), AppError>;
    /// The caller's tenant's members (admin only).
    async fn members(&self, caller: &Caller) -> Result<Vec<shared::auth::Member>, AppError>;
    /// Changes a member's role (admin only; a tenant keeps at least one admin).
    async fn set_member_role(
        &self,
        caller: &Caller,
        user_id: i64,
        role: Role,
        ip: Option<String>,
    ) -> Result<shared::auth::Member, AppError>;
    /// Removes a member from the tenant (admin only; never the last admin).
    async fn remove_member(
        &self,
        caller: &Caller,
        user_id: i64,
        ip: Option<String>,
    ) -> Result<(), AppError>;
    /// The caller's tenant's audit log, newest first (admin only).
    async fn audit_log(
        &self,
        caller: &Caller,
        limit: u64,
    ) -> Result<Vec<shared::auth::AuditEntry>, AppError>;
}

/// The numbers behind the dashboard.
#[async_trait]
pub trait DashboardPort: Send + Sync {
    /// Summary of the caller's tenant over the last 24 hours.
    async fn summary(&self, caller: &Caller) -> Result<DashboardSummary, AppError>;
    /// Key figures of the caller's tenant over a period, against the period before.
    async fn period(
        &self,
        caller: &Caller,
        query: shared::period::PeriodQuery,
    ) -> Result<shared::period::PeriodSummary, AppError>;
    /// The caller's network: nodes with their status, districts, daily figures of the
    /// period, system health.
    async fn overview(
        &self,
        caller: &Caller,
        query: shared::period::PeriodQuery,
    ) -> Result<shared::overview::NetworkOverview, AppError>;
}

/// Data quality reports.
#[async_trait]
pub trait QualityPort: Send + Sync {
    /// The newest report of the caller's tenant, if the job has run.
    async fn latest(
        &self,
        caller: &Caller,
    ) -> Result<Option<shared::quality::DataQualityReport>, AppError>;
}

/// Background jobs as a tenant admin sees them.
#[async_trait]
pub trait JobsPort: Send + Sync {
    /// The jobs, their schedules and the tenant's recent runs (admin only).
    async fn jobs(&self, caller: &Caller) -> Result<Vec<shared::jobs::JobInfo>, AppError>;
    /// Starts a per-tenant job for the caller's tenant now (admin only).
    async fn run_job(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<shared::jobs::JobRunStarted, AppError>;
}

/// Chart series.
#[async_trait]
pub trait SeriesPort: Send + Sync {
    /// A node's metric over a range, for the caller's tenant (404 for another tenant's node).
    async fn series(
        &self,
        caller: &Caller,
        query: shared::series::SeriesQuery,
    ) -> Result<shared::series::Series, AppError>;
}

/// Incidents of the anomaly detector and what operators do with them.
#[async_trait]
pub trait AnomaliesPort: Send + Sync {
    /// The caller's tenant's incidents matching `filter`, newest first.
    async fn list(
        &self,
        caller: &Caller,
        filter: shared::anomaly::IncidentFilter,
    ) -> Result<Vec<shared::anomaly::Incident>, AppError>;
    /// One incident of the caller's tenant (404 for another tenant's).
    async fn get(&self, caller: &Caller, id: i64) -> Result<shared::anomaly::Incident, AppError>;
    /// Acknowledges or resolves an incident (operator or admin), with an optional comment.
    async fn act(
        &self,
        caller: &Caller,
        id: i64,
        action: shared::anomaly::IncidentAction,
        comment: Option<String>,
        ip: Option<String>,
    ) -> Result<shared::anomaly::Incident, AppError>;
}

/// Network efficiency figures.
#[async_trait]
pub trait EfficiencyPort: Send + Sync {
    /// Stored figures of the caller's tenant for a district (or the network), oldest first.
    async fn rows(
        &self,
        caller: &Caller,
        query: shared::efficiency::EfficiencyQuery,
    ) -> Result<Vec<shared::efficiency::EfficiencyRow>, AppError>;
}

/// Demand forecasts.
#[async_trait]
pub trait ForecastPort: Send + Sync {
    /// The forecast of a node's metric in the caller's tenant, `horizon` hours ahead (404 for
    /// another tenant's node).
    async fn forecast(
        &self,
        caller: &Caller,
        node_id: i64,
        metric: shared::Metric,
        horizon: u32,
    ) -> Result<shared::forecast::Forecast, AppError>;

    /// The demand forecast of a district (the summed flow of its inlet meters) in the
    /// caller's tenant, `horizon` hours ahead (404 for another tenant's district).
    async fn district_forecast(
        &self,
        caller: &Caller,
        district_id: i64,
        horizon: u32,
    ) -> Result<shared::forecast::DistrictForecast, AppError>;

    /// A district's measured demand over the last `hours` whole hours (404 for another
    /// tenant's district, a conflict for a district without inlet meters); `None`: the
    /// district the network overview lists first, `Ok(None)` when there is none.
    async fn district_history(
        &self,
        caller: &Caller,
        district_id: Option<i64>,
        hours: u32,
    ) -> Result<Option<shared::forecast::DistrictHistory>, AppError>;
}

/// The administrator's diagnostics.
#[async_trait]
pub trait DiagnosticsPort: Send + Sync {
    /// Checks every part of the deployment now (admin only).
    async fn diagnostics(
        &self,
        caller: &Caller,
    ) -> Result<shared::diagnostics::Diagnostics, AppError>;
}

/// Every port, as server functions find them in the Leptos context.
#[derive(Clone)]
pub struct Services {
    /// Sessions and credentials.
    pub auth: Arc<dyn AuthPort>,
    /// Dashboard numbers.
    pub dashboard: Arc<dyn DashboardPort>,
    /// Chart series.
    pub series: Arc<dyn SeriesPort>,
    /// Background jobs.
    pub jobs: Arc<dyn JobsPort>,
    /// Data quality reports.
    pub quality: Arc<dyn QualityPort>,
    /// Incidents.
    pub anomalies: Arc<dyn AnomaliesPort>,
    /// Network efficiency.
    pub efficiency: Arc<dyn EfficiencyPort>,
    /// Forecasts.
    pub forecasts: Arc<dyn ForecastPort>,
    /// Diagnostics.
    pub diagnostics: Arc<dyn DiagnosticsPort>,
    /// Whether session cookies carry `Secure` (off only for plain-http development).
    pub secure_cookies: bool,
}

/// The services provided by the server for this request.
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("Services missing from the Leptos context: check the router set-up");
        AppError::Internal {
            reference: "services-missing".into(),
        }
    })
}

fn request_parts() -> Result<http::request::Parts, AppError> {
    use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from the Leptos context");
        AppError::Internal {
            reference: "request-missing".into(),
        }
    })
}

/// The value of cookie `name` in `headers`, if present and not empty.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// The access token from the request's cookie, if any.
pub fn access_token() -> Result<Option<String>, AppError> {
    Ok(cookie(&request_parts()?.headers, ACCESS_COOKIE))
}

/// The refresh token from the request's cookie, if any.
pub fn refresh_token() -> Result<Option<String>, AppError> {
    Ok(cookie(&request_parts()?.headers, REFRESH_COOKIE))
}

/// The authenticated caller of this request, or `Unauthenticated`.
pub async fn caller() -> Result<Caller, AppError> {
    let token = access_token()?.ok_or(AppError::Unauthenticated)?;
    services()?.auth.authenticate(&token, None).await
}

/// The client's address, as the server worked it out for this request (the socket's peer,
/// or the address a configured number of trusted proxies put in `X-Forwarded-For`); set as a
/// request extension by the server before any handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub Option<String>);

/// The client address of this request (see [`ClientAddr`]).
pub fn client_ip() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts.extensions.get::<ClientAddr>()?.0.clone()
}

/// Refuses a state-changing call whose `Origin` is another site (cross-site request forgery).
pub fn check_same_origin() -> Result<(), AppError> {
    let parts = request_parts()?;
    let Some(origin) = parts.headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Same-origin form posts from older browsers may omit Origin; SameSite=Lax covers them.
        return Ok(());
    };
    let host = parts.headers.get(HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => {
            tracing::warn!(origin, ?host, "cross-origin state change refused");
            Err(AppError::Forbidden)
        }
    }
}

/// The `Set-Cookie` values that store a session's tokens in the browser (or, with `None`,
/// clear them): `HttpOnly`, `SameSite=Lax`, `Secure` unless turned off for plain-http
/// development. The access cookie lives as long as the access token; the refresh cookie as
/// long as the session.
pub fn session_cookies(issued: Option<&IssuedSession>, secure: bool) -> [String; 2] {
    let secure = if secure { "; Secure" } else { "" };
    let one = |name: &str, value: &str, max_age: i64| {
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    };
    match issued {
        Some(s) => [
            one(
                ACCESS_COOKIE,
                s.access_token.expose(),
                s.expires_in_secs.max(0),
            ),
            one(
                REFRESH_COOKIE,
                s.refresh_token.expose(),
                s.refresh_expires_in_secs.max(0),
            ),
        ],
        None => [one(ACCESS_COOKIE, "", 0), one(REFRESH_COOKIE, "", 0)],
    }
}

/// Sets (or with `None`, clears) the session cookies on the response.
pub fn write_session_cookie(issued: Option<&IssuedSession>, secure: bool) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        tracing::error!("ResponseOptions missing: cannot set the session cookies");
        return;
    };
    for cookie in session_cookies(issued, secure) {
        match HeaderValue::from_str(&cookie) {
            Ok(value) => response.append_header(SET_COOKIE, value),
            Err(e) => tracing::error!(error = %e, "session cookie is not a valid header"),
        }
    }
}

/// Gives a failed server function the HTTP status of its error (401, 403, 422, …) instead
/// of a blanket 500, so logs, proxies and browsers tell user mistakes from server faults.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            let code = http::StatusCode::from_u16(error.status_code())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            // A page that sends the visitor elsewhere (sign-in) keeps its redirect, whichever
            // of its server calls finished first.
            let mut parts = response.0.write().unwrap_or_else(|e| e.into_inner());
            if !parts.status.is_some_and(|s| s.is_redirection()) {
                parts.status = Some(code);
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: 1,
            email: "a@b.org".into(),
            display_name: "A".into(),
            tenant: TenantRef {
                id: 7,
                slug: "t".into(),
                name: "T".into(),
            },
            role,
            api_key: None,
        }
    }

    #[test]
    fn api_keys_never_act_with_a_role_and_follow_their_scopes() {
        let mut key = caller(Role::Admin);
        key.api_key = Some(ApiKeyAccess {
            id: 1,
            read: false,
            ingest: true,
        });
        assert_eq!(key.require(Role::Viewer), Err(AppError::Forbidden));
        assert_eq!(key.require_read(), Err(AppError::Forbidden));
        assert_eq!(key.require_ingest(), Ok(()));
        assert_eq!(
            caller(Role::Viewer).require_ingest(),
            Err(AppError::Forbidden)
        );
        assert_eq!(caller(Role::Operator).require_ingest(), Ok(()));
    }

    #[test]
    fn roles_gate_actions() {
        assert_eq!(
            caller(Role::Viewer).require(Role::Operator),
            Err(AppError::Forbidden)
        );
        assert_eq!(caller(Role::Admin).require(Role::Operator), Ok(()));
    }

    #[test]
    fn session_user_carries_the_tenant() {
        let user = caller(Role::Operator).session_user();
        assert_eq!(user.tenant.id, 7);
        assert_eq!(user.role, Role::Operator);
    }

    #[test]
    fn tokens_never_print() {
        let token = SessionToken::new("secret-value".into());
        assert!(!format!("{token:?}").contains("secret"));
        assert_eq!(token.expose(), "secret-value");
    }
}

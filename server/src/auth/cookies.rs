//! Keeps a browser signed in: when a request carries a refresh cookie but no current access
//! cookie (the 15-minute access token expired, or the cookie was dropped), the refresh token
//! is traded for a new pair before the request is served. The request then continues with
//! the new access token and the response stores both new cookies; a refused refresh clears
//! them, so the page sends the visitor to the login page.

use crate::state::AppState;
use app::ssr::{cookie, session_cookies, IssuedSession, ACCESS_COOKIE, REFRESH_COOKIE};
use axum::extract::{Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The middleware (see the module documentation).
pub async fn refresh_session(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let skip = req.uri().path().starts_with("/pkg/") || headers.contains_key("authorization");
    let Some(refresh) = cookie(headers, REFRESH_COOKIE).filter(|_| !skip) else {
        return next.run(req).await;
    };
    let auth = state.services.auth.clone();
    if let Some(access) = cookie(headers, ACCESS_COOKIE) {
        if auth.access_token_current(&access).await {
            return next.run(req).await;
        }
    }
    let ip = req
        .extensions()
        .get::<app::ssr::ClientAddr>()
        .and_then(|c| c.0.clone());
    let issued = auth.refresh(&refresh, ip).await.ok();
    replace_session_cookies(req.headers_mut(), issued.as_ref());
    let mut response = next.run(req).await;
    for value in session_cookies(issued.as_ref(), state.config.cookie_secure) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// Rewrites the request's `Cookie` header: the session cookies are dropped and, when new
/// tokens were issued, the new access token put in their place.
fn replace_session_cookies(headers: &mut HeaderMap, issued: Option<&IssuedSession>) {
    let mut kept: Vec<String> = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(n, _)| n);
            !pair.is_empty() && name != ACCESS_COOKIE && name != REFRESH_COOKIE
        })
        .map(str::to_owned)
        .collect();
    if let Some(issued) = issued {
        kept.push(format!("{ACCESS_COOKIE}={}", issued.access_token.expose()));
    }
    headers.remove(COOKIE);
    if let Ok(value) = HeaderValue::from_str(&kept.join("; ")) {
        if !kept.is_empty() {
            headers.insert(COOKIE, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookies_are_swapped_and_others_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("theme=dark; rw_access=old; rw_refresh=r1; lang=it"),
        );
        replace_session_cookies(&mut headers, None);
        assert_eq!(headers.get(COOKIE).unwrap(), "theme=dark; lang=it");
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("rw_refresh=r1"));
        replace_session_cookies(&mut headers, None);
        assert!(headers.get(COOKIE).is_none());
    }
}

//! Who is calling: the socket's peer, unless trusted proxies sit in front. Each of the
//! `TRUSTED_PROXY_HOPS` proxies appends the address it received from to `X-Forwarded-For`,
//! so the client is the entry that many places from the right; anything further left was
//! written by the client and is ignored (it could name any address, e.g. to dodge the
//! per-address login throttle).

use crate::state::AppState;
use app::ssr::ClientAddr;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;

/// The client address of a request with `headers` from `peer`, trusting `hops` proxies.
pub fn resolve(headers: &HeaderMap, peer: Option<SocketAddr>, hops: usize) -> Option<String> {
    let peer = peer.map(|p| p.ip().to_string());
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<String> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    // The last proxy is the peer; the hops-1 before it appended the rest.
    forwarded
        .len()
        .checked_sub(hops)
        .and_then(|i| forwarded.get(i).cloned())
        .or(peer)
}

/// Puts the request's [`ClientAddr`] into its extensions.
pub async fn client_addr(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let addr = resolve(req.headers(), peer, state.config.trusted_proxy_hops);
    req.extensions_mut().insert(ClientAddr(addr));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let spoofed = headers("6.6.6.6, 203.0.113.7");
        assert_eq!(
            resolve(&spoofed, Some(peer), 0).as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(
            resolve(&spoofed, Some(peer), 1).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(resolve(&spoofed, Some(peer), 2).as_deref(), Some("6.6.6.6"));
        assert_eq!(
            resolve(&HeaderMap::new(), Some(peer), 1).as_deref(),
            Some("10.0.0.2")
        );
    }
}

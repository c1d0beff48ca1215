//! What happens, as it happens: after readings are stored the tenant's cached figures are
//! dropped and an event is published to every replica's subscribers (Redis pub/sub when
//! configured, an in-process channel otherwise); browsers receive them as Server-Sent Events.

use crate::cache::keys::CacheKeys;
use crate::cache::JsonCache;
use crate::storage::readings::NewReading;
use futures::StreamExt;
use shared::live::{LatestPoint, LiveEvent, MAX_LIVE_POINTS};
use std::collections::HashMap;
use tokio::sync::broadcast;

/// Redis channel all replicas publish to and listen on.
const CHANNEL: &str = "roccavina:events";

/// An event for one tenant.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TenantEvent {
    /// Whose.
    pub tenant_id: i64,
    /// What.
    pub event: LiveEvent,
}

/// Publishes events and fans them out to this process's subscribers.
#[derive(Clone)]
pub struct Live {
    local: broadcast::Sender<TenantEvent>,
    redis: Option<redis::Client>,
    /// The publishing connection, opened on first use and dropped after a failure.
    publisher: std::sync::Arc<tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>>,
    cache: JsonCache,
}

impl Live {
    /// An in-process bus, or a Redis-backed one when `redis` is given (call
    /// [`Live::listen`] once to relay Redis messages to local subscribers).
    pub fn new(redis: Option<redis::Client>, cache: JsonCache) -> Self {
        let (local, _) = broadcast::channel(1_024);
        Self {
            local,
            redis,
            publisher: Default::default(),
            cache,
        }
    }

    /// Receives every event published from now on (filter by tenant).
    pub fn subscribe(&self) -> broadcast::Receiver<TenantEvent> {
        self.local.subscribe()
    }

    /// Publishes `event` for `tenant_id`. Through Redis every replica (this one included)
    /// gets it; if Redis is down, this replica's subscribers still do.
    pub async fn publish(&self, tenant_id: i64, event: LiveEvent) {
        let message = TenantEvent { tenant_id, event };
        if let Some(client) = &self.redis {
            let mut publisher = self.publisher.lock().await;
            let sent = async {
                let mut conn = match publisher.as_ref() {
                    Some(conn) => conn.clone(),
                    None => client.get_multiplexed_async_connection().await?,
                };
                let payload = serde_json::to_string(&message).unwrap_or_default();
                redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg(payload)
                    .query_async::<i64>(&mut conn)
                    .await
                    .map(|_| conn)
            };
            match tokio::time::timeout(std::time::Duration::from_millis(500), sent).await {
                Ok(Ok(conn)) => {
                    *publisher = Some(conn);
                    return;
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "publishing to Redis failed; local only"),
                Err(_) => tracing::warn!("publishing to Redis timed out; local only"),
            }
            *publisher = None;
        }
        let _ = self.local.send(message);
    }

    /// Relays Redis messages to local subscribers, reconnecting after failures. Runs until
    /// the process ends; does nothing without Redis.
    pub async fn listen(self) {
        let Some(client) = self.redis.clone() else {
            return;
        };
        loop {
            match client.get_async_pubsub().await {
                Ok(mut pubsub) => {
                    if let Err(e) = pubsub.subscribe(CHANNEL).await {
                        tracing::warn!(error = %e, "Redis subscribe failed");
                    } else {
                        let mut messages = pubsub.on_message();
                        while let Some(msg) = messages.next().await {
                            let Ok(payload) = msg.get_payload::<String>() else {
                                continue;
                            };
                            match serde_json::from_str::<TenantEvent>(&payload) {
                                Ok(event) => {
                                    let _ = self.local.send(event);
                                }
                                Err(e) => tracing::warn!(error = %e, "unreadable live event"),
                            }
                        }
                        tracing::warn!("Redis event subscription ended; reconnecting");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "Redis unreachable for live events"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    /// After incidents of `tenant_id` opened, ended or changed status: drops the cached summary
    /// (its open-incident counts).
    pub async fn incidents_changed(&self, tenant_id: i64) {
        self.cache
            .invalidate(&CacheKeys::new(tenant_id).system_metrics_all())
            .await;
    }

    /// After `rows` were stored for `tenant_id`: drops the cached figures they change and
    /// publishes their newest values.
    pub async fn readings_stored(&self, tenant_id: i64, rows: &[NewReading]) {
        if rows.is_empty() {
            return;
        }
        let mut newest: HashMap<(i64, i16), &NewReading> = HashMap::new();
        for r in rows {
            let slot = newest.entry((r.node_id, r.metric.code())).or_insert(r);
            if r.ts > slot.ts {
                *slot = r;
            }
        }
        let keys = CacheKeys::new(tenant_id);
        let mut stale: Vec<String> = keys.system_metrics_all();
        let mut nodes: Vec<i64> = newest.keys().map(|(n, _)| *n).collect();
        nodes.sort_unstable();
        nodes.dedup();
        stale.extend(nodes.iter().map(|n| keys.node_latest(*n)));
        self.cache.invalidate(&stale).await;
        let mut latest: Vec<LatestPoint> = newest
            .values()
            .map(|r| LatestPoint {
                node_id: r.node_id,
                metric: r.metric,
                ts: r.ts,
                value: r.value,
            })
            .collect();
        latest.sort_by_key(|p| (p.node_id, p.metric.code()));
        latest.truncate(MAX_LIVE_POINTS);
        self.publish(
            tenant_id,
            LiveEvent::Readings {
                count: rows.len() as u64,
                latest,
            },
        )
        .await;
    }
}

//! `/api/v1/events`: the caller's tenant's live events as Server-Sent Events.

use super::extract::StreamCaller;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use shared::live::LiveEvent;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

/// Streams new readings and job outcomes of the caller's tenant as they happen
/// (`event: readings` / `event: job_run`, JSON data). Browsers authenticate with their
/// session cookie, integrators with `Authorization: Bearer`.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "readings",
    security(("bearer" = [])),
    params(("X-Tenant-ID" = Option<String>, Header, description = "Tenant id or slug to act in")),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = LiveEvent),
        (status = 401, description = "Missing or invalid token", body = shared::AppError),
        (status = 403, description = "Not a member of the requested tenant", body = shared::AppError),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    StreamCaller(caller): StreamCaller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let tenant_id = caller.tenant.id;
    let events = futures::stream::unfold(state.live.subscribe(), move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(message) if message.tenant_id == tenant_id => {
                    let name = match &message.event {
                        LiveEvent::Readings { .. } => "readings",
                        LiveEvent::JobRun { .. } => "job_run",
                        LiveEvent::Incident { .. } => "incident",
                    };
                    let event = Event::default()
                        .event(name)
                        .json_data(&message.event)
                        .unwrap_or_default();
                    return Some((Ok(event), rx));
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(missed)) => {
                    // A slow client: tell it to reload what it shows.
                    let event = Event::default().event("lagged").data(missed.to_string());
                    return Some((Ok(event), rx));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

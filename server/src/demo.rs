//! The demo tenant a newcomer sees: a small Cagliari network with two weeks of history (the
//! simulator source's initial backfill), kept moving by a simulated feed.

pub mod events;
pub mod feed;
pub mod model;
pub mod seed;

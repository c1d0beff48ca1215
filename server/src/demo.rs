//! The demo tenant a newcomer sees: a small Cagliari network with a day of history,
//! kept moving by a simulated feed.

pub mod events;
pub mod feed;
pub mod model;
pub mod seed;

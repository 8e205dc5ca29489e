//! Events (`GET /events`): what happened to containers, images, networks and volumes, as
//! dockerd reports it (moby's `daemon/events`).
//!
//! - [`Events`] (`bus`) is the bus: a bounded ring of the most recent events, which `since`
//!   and `until` replay, and the live readers. Nothing is persisted: a restarted daemon starts
//!   with an empty ring, as dockerd does.
//! - `publish` is the API the rest of the daemon calls, one method per kind of object, each
//!   adding dockerd's attributes: `events.container(&record, "pause", &[])`,
//!   `events.image(id, name, "tag", labels)`, `events.network(...)`, `events.volume(...)`.
//!   Publishing never waits: it takes one short lock, appends to the ring and hands the event
//!   to the readers' shared buffer.
//! - `filter` is moby's `events.Filter`: which events a reader's `filters` select.
//! - `backend` serves `GET /events`: the replay, then the live events until `until`.

mod backend;
mod bus;
mod filter;
mod publish;

pub use bus::Events;

/// A container event named `action`, for the module's tests.
#[cfg(test)]
fn test_event(action: &str) -> api::types::EventMessage {
    api::types::EventMessage {
        kind: "container".into(),
        action: action.into(),
        scope: "local".into(),
        ..Default::default()
    }
}

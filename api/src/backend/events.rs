//! What `GET /events` needs from the daemon: the events it keeps and those still to come.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use jiff::Timestamp;

use crate::Error;
use crate::filters::Filters;
use crate::types::EventMessage;

/// What `GET /events` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsOptions {
    /// `since`: replay the kept events from this time on (`0` is the Unix epoch: all).
    pub since: Option<Timestamp>,
    /// `until`: replay the kept events up to this time; in the past, the stream ends after the
    /// replay, in the future, it ends then.
    pub until: Option<Timestamp>,
    /// `type`, `event`, `container`, `image`, `network`, `volume`, `label`, `daemon`,
    /// `scope`, ... (moby checks no key: an unknown one selects nothing more or less).
    pub filters: Filters,
}

/// Events in the order they happened, shared with the daemon's ring (never copied per
/// reader). The stream ends when `until` is reached.
pub type EventStream = Pin<Box<dyn Stream<Item = Arc<EventMessage>> + Send>>;

/// `/events`.
pub trait EventsBackend {
    /// `GET /events`: with `since` or `until`, the kept events between them, then (unless
    /// `until` has passed) every new event as it happens, each once, in order; all through
    /// `filters`. A reader too slow to keep up skips events rather than hold up the daemon.
    fn events(
        &self,
        opts: EventsOptions,
    ) -> impl Future<Output = Result<EventStream, Error>> + Send;
}

//! `api::backend::EventsBackend` for the daemon: the replay of kept events, then the live ones,
//! through the reader's filters, until `until`.

use std::sync::Arc;
use std::time::Duration;

use api::backend::{EventStream, EventsBackend, EventsOptions};
use api::types::EventMessage;
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use super::Events;
use super::filter::EventFilter;
use crate::daemon::Daemon;

impl EventsBackend for Daemon {
    async fn events(&self, opts: EventsOptions) -> Result<EventStream, api::Error> {
        Ok(self.events.stream(opts, Timestamp::now()))
    }
}

impl Events {
    /// What `GET /events` streams, as moby's `getEvents`: the kept events between `since` and
    /// `until` (when either is given), then, unless `until` is before `now`, the new events
    /// until `until` (forever without it). Live events are not held to `since` (moby's rule:
    /// a `since` in the future replays nothing and then streams everything).
    pub(crate) fn stream(&self, opts: EventsOptions, now: Timestamp) -> EventStream {
        let filter = EventFilter::new(opts.filters);
        let sub = self.subscribe(opts.since, opts.until, |e| filter.include(e));
        let replay = futures::stream::iter(sub.replay);
        let left = match opts.until {
            Some(u) if u < now => return Box::pin(replay),
            Some(u) => Some(Duration::try_from(u.duration_since(now)).unwrap_or_default()),
            None => None,
        };
        let live = live(sub.live, sub.closed, filter);
        match left {
            Some(d) => Box::pin(replay.chain(live.take_until(tokio::time::sleep(d)))),
            None => Box::pin(replay.chain(live)),
        }
    }
}

/// The live events `filter` selects. A reader that fell behind skips what it missed (the bus
/// never waits for it) and goes on; the stream ends when the bus closes.
fn live(
    rx: Receiver<Arc<EventMessage>>,
    closed: watch::Receiver<bool>,
    filter: EventFilter,
) -> impl futures::Stream<Item = Arc<EventMessage>> + Send {
    futures::stream::unfold(
        (rx, closed, filter),
        |(mut rx, mut closed, filter)| async move {
            loop {
                let next = tokio::select! {
                    next = rx.recv() => next,
                    _ = closed.wait_for(|c| *c) => return None,
                };
                match next {
                    Ok(e) if filter.include(&e) => return Some((e, (rx, closed, filter))),
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(
                            skipped = n,
                            "an events reader fell behind; skipping events"
                        );
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use api::filters::Filters;

    use super::*;

    use crate::events::test_event as event;

    fn opts(since: Option<Timestamp>, until: Option<Timestamp>, filters: &str) -> EventsOptions {
        EventsOptions {
            since,
            until,
            filters: Filters::parse(Some(filters)).expect("filters"),
        }
    }

    #[tokio::test]
    async fn past_until_ends_after_the_replay() {
        let bus = Events::default();
        bus.publish(event("create"));
        bus.publish(event("start"));
        let now = Timestamp::now();
        let s = bus.stream(opts(None, Some(now), r#"{"event":["start"]}"#), now);
        let got: Vec<_> = s.map(|e| e.action.clone()).collect().await;
        assert_eq!(got, ["start"]);
    }

    #[tokio::test]
    async fn future_until_ends_the_live_stream_then() {
        let bus = Events::default();
        let now = Timestamp::now();
        let until = now + jiff::SignedDuration::from_millis(300);
        let mut s = bus.stream(opts(Some(Timestamp::UNIX_EPOCH), Some(until), "{}"), now);
        bus.publish(event("die"));
        assert_eq!(
            s.next().await.map(|e| e.action.clone()).as_deref(),
            Some("die")
        );
        // Nothing more comes: at `until` the stream ends.
        assert!(s.next().await.is_none());
    }

    #[tokio::test]
    async fn a_reader_that_fell_behind_skips_to_what_is_kept() {
        let bus = Events::with_sizes(16, 2);
        let s = bus.stream(opts(None, None, "{}"), Timestamp::now());
        for a in ["0", "1", "2", "3", "4"] {
            bus.publish(event(a));
        }
        let got: Vec<_> = s.take(2).map(|e| e.action.clone()).collect().await;
        assert_eq!(got, ["3", "4"]);
    }

    #[tokio::test]
    async fn closing_the_bus_ends_live_streams() {
        let bus = Events::default();
        let mut s = bus.stream(opts(None, None, "{}"), Timestamp::now());
        bus.close();
        assert!(s.next().await.is_none());
    }

    #[tokio::test]
    async fn without_bounds_only_new_events_come() {
        let bus = Events::default();
        bus.publish(event("old"));
        let mut s = bus.stream(
            opts(None, None, r#"{"type":["container"]}"#),
            Timestamp::now(),
        );
        bus.publish(event("new"));
        assert_eq!(
            s.next().await.map(|e| e.action.clone()).as_deref(),
            Some("new")
        );
    }
}

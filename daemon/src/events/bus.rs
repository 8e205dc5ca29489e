//! The event bus: a ring of recent events for `since`/`until`, and a broadcast to live readers.
//!
//! A reader that falls behind never holds anything up. moby gives each reader a buffer of
//! 1024 events and waits up to 100 ms for a full one before skipping the event for that
//! reader; here the readers share one buffer of the same size (tokio's `broadcast`), and a
//! reader more than that many events behind skips the oldest ones at once (its next read
//! reports how many, and it goes on with the oldest event still kept). Publishing never waits
//! for a reader.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use api::types::EventMessage;
use jiff::Timestamp;
use tokio::sync::{broadcast, watch};

/// How many recent events are kept for `since`/`until` (dockerd keeps 256).
pub(crate) const RING_SIZE: usize = 4096;
/// How many events a live reader may be behind before it skips (dockerd's per-reader buffer).
pub(crate) const READER_BUFFER: usize = 1024;

/// The daemon's events: cheap to clone (one `Arc`), shared by every part that publishes.
#[derive(Clone)]
pub struct Events {
    inner: Arc<Bus>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("kept", &self.inner.ring().len())
            .field("readers", &self.inner.live.receiver_count())
            .finish()
    }
}

struct Bus {
    /// The most recent events, oldest first; at most `capacity`.
    ring: Mutex<VecDeque<Arc<EventMessage>>>,
    capacity: usize,
    /// Live readers.
    live: broadcast::Sender<Arc<EventMessage>>,
    /// Set at shutdown: live readers end, so their connections do not hold up the drain.
    closed: watch::Sender<bool>,
}

impl Bus {
    fn ring(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<EventMessage>>> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a new reader gets: the kept events it asked for, and the live ones after them.
pub(crate) struct Subscription {
    /// Kept events between `since` and `until`, oldest first.
    pub(crate) replay: Vec<Arc<EventMessage>>,
    /// Every event published after `replay` was taken, none twice.
    pub(crate) live: broadcast::Receiver<Arc<EventMessage>>,
    /// Becomes true when the daemon shuts down.
    pub(crate) closed: watch::Receiver<bool>,
}

impl Default for Events {
    fn default() -> Self {
        Events::with_sizes(RING_SIZE, READER_BUFFER)
    }
}

impl Events {
    /// A bus keeping `ring` events, whose readers may be `buffer` events behind.
    pub(crate) fn with_sizes(ring: usize, buffer: usize) -> Self {
        let (live, _) = broadcast::channel(buffer.max(1));
        Events {
            inner: Arc::new(Bus {
                ring: Mutex::new(VecDeque::with_capacity(ring)),
                capacity: ring.max(1),
                live,
                closed: watch::channel(false).0,
            }),
        }
    }

    /// Stamps `event` with the current time, keeps it and hands it to the live readers.
    /// Never waits for a reader.
    pub(crate) fn publish(&self, mut event: EventMessage) {
        let mut ring = self.inner.ring();
        // Stamped under the lock, so the ring is in time order (the replay relies on it).
        let now = Timestamp::now();
        event.time = now.as_second();
        event.time_nano = i64::try_from(now.as_nanosecond()).unwrap_or(i64::MAX);
        let event = Arc::new(event);
        if ring.len() == self.inner.capacity {
            ring.pop_front();
        }
        ring.push_back(Arc::clone(&event));
        // No reader is not an error: the event is kept for later ones.
        let _ = self.inner.live.send(event);
    }

    /// Ends the live readers' streams (at shutdown: dockerd closes them too, and an open
    /// `docker events` would otherwise hold the drain until its deadline).
    pub(crate) fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    /// A new reader: with `since` or `until`, the kept events between them (moby's
    /// `loadBufferedEvents`: none when neither is given) that `wanted` accepts; then the live
    /// events. Taken under the ring's lock, so no event is both replayed and live, or lost
    /// between them.
    pub(crate) fn subscribe(
        &self,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
        wanted: impl Fn(&EventMessage) -> bool,
    ) -> Subscription {
        let ring = self.inner.ring();
        let live = self.inner.live.subscribe();
        let closed = self.inner.closed.subscribe();
        if since.is_none() && until.is_none() {
            return Subscription {
                replay: Vec::new(),
                live,
                closed,
            };
        }
        let nanos = |t: Option<Timestamp>| t.map(|t| t.as_nanosecond());
        let (since, until) = (nanos(since).unwrap_or(i128::MIN), nanos(until));
        // The ring is in time order: the events from `since` on are a suffix of it.
        let first = ring.partition_point(|e| i128::from(e.time_nano) < since);
        let replay = ring
            .range(first..)
            .filter(|e| until.is_none_or(|u| i128::from(e.time_nano) <= u) && wanted(e))
            .cloned()
            .collect();
        Subscription {
            replay,
            live,
            closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::events::test_event as event;

    fn actions(events: &[Arc<EventMessage>]) -> Vec<&str> {
        events.iter().map(|e| e.action.as_str()).collect()
    }

    #[test]
    fn the_ring_keeps_the_newest_in_order() {
        let bus = Events::with_sizes(3, 8);
        for a in ["a", "b", "c", "d", "e"] {
            bus.publish(event(a));
        }
        let all = bus.subscribe(Some(Timestamp::UNIX_EPOCH), None, |_| true);
        assert_eq!(actions(&all.replay), ["c", "d", "e"]);
        assert!(
            all.replay
                .windows(2)
                .all(|w| w[0].time_nano <= w[1].time_nano)
        );
        // Without `since` or `until` nothing is replayed (moby's rule).
        assert!(bus.subscribe(None, None, |_| true).replay.is_empty());
        // `wanted` applies to the replay.
        let some = bus.subscribe(Some(Timestamp::UNIX_EPOCH), None, |e| e.action != "d");
        assert_eq!(actions(&some.replay), ["c", "e"]);
    }

    #[test]
    fn since_and_until_bound_the_replay() {
        let bus = Events::with_sizes(16, 8);
        bus.publish(event("old"));
        std::thread::sleep(std::time::Duration::from_millis(2));
        let mid = Timestamp::now();
        std::thread::sleep(std::time::Duration::from_millis(2));
        bus.publish(event("new"));
        let after = bus.subscribe(Some(mid), None, |_| true);
        assert_eq!(actions(&after.replay), ["new"]);
        let e = &after.replay[0];
        assert_eq!(e.time, e.time_nano / 1_000_000_000);
        let before = bus.subscribe(None, Some(mid), |_| true);
        assert_eq!(actions(&before.replay), ["old"]);
        let none = bus.subscribe(Some(mid), Some(mid), |_| true);
        assert!(none.replay.is_empty());
    }

    #[tokio::test]
    async fn live_readers_get_each_new_event_once_and_slow_ones_skip() {
        let bus = Events::with_sizes(16, 4);
        bus.publish(event("before"));
        let mut sub = bus.subscribe(Some(Timestamp::UNIX_EPOCH), None, |_| true);
        assert_eq!(actions(&sub.replay), ["before"]);
        bus.publish(event("after"));
        assert_eq!(sub.live.recv().await.unwrap().action, "after");
        // Ten more than a buffer of four: publishing did not wait, and the reader skips the
        // oldest, then goes on with what is kept.
        for i in 0..10 {
            bus.publish(event(&i.to_string()));
        }
        assert!(matches!(
            sub.live.recv().await,
            Err(broadcast::error::RecvError::Lagged(6))
        ));
        let mut rest = Vec::new();
        while let Ok(e) = sub.live.try_recv() {
            rest.push(e.action.clone());
        }
        assert_eq!(rest, ["6", "7", "8", "9"]);
    }
}

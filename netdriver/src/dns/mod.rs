//! The embedded DNS server of user-defined networks, as dockerd's (libnetwork's resolver):
//! every container on such a network gets `nameserver 127.0.0.11`, served inside its own
//! network namespace, where container names, network aliases, short IDs and `--link` aliases
//! resolve to addresses on the networks the asking container shares with them, and every other
//! name is forwarded to the upstream resolvers.
//!
//! - `table`: who is registered under which names on which network (pure data);
//! - `message`: one query in, an answer, a query to forward, or nothing (pure);
//! - `forward`: the exchanges with the upstreams (UDP, TCP on truncation, deadlines, bounds);
//! - `listener`: a container's `127.0.0.11:53` (UDP and TCP), opened in its namespace on a
//!   short-lived thread and served by tokio tasks: no thread per container;
//! - `tcp`: DNS over TCP's two-byte length framing.
//!
//! Queries are forwarded from the daemon's namespace (where the upstreams, the host's resolvers
//! or `--dns`, are reachable), each over a fresh socket. At most [`MAX_FORWARDS_PER_CONTAINER`]
//! forwarded queries of one container and [`MAX_FORWARDS`] of the whole daemon are in flight;
//! more are dropped (their clients ask again), so a flood cannot exhaust the daemon.

mod forward;
mod listener;
mod message;
mod table;
mod tcp;

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::Result;
use forward::Forwarder;
use listener::Listener;
use message::Outcome;
use table::Table;

pub use forward::{MAX_FORWARDS, UPSTREAM_TIMEOUT};
pub use listener::{ADDRESS, PORT};

/// Forwarded queries of one container in flight at once.
pub const MAX_FORWARDS_PER_CONTAINER: usize = 128;

/// The embedded DNS server: one per daemon, cheap to clone (shared state inside).
#[derive(Debug, Clone)]
pub struct Dns {
    shared: Arc<Shared>,
    /// The containers being served, by ID.
    listeners: Arc<Mutex<HashMap<String, Listener>>>,
    /// Serialises attaches, so two for one container never race to bind the same address.
    attaching: Arc<tokio::sync::Mutex<()>>,
}

/// What every listener reads.
#[derive(Debug)]
pub(crate) struct Shared {
    table: RwLock<Table>,
    forwarder: Forwarder,
    /// The daemon-wide upstreams, for containers without `--dns` of their own.
    upstreams: Vec<SocketAddr>,
    /// Containers whose queries are not forwarded (only `--internal` networks: no way out).
    isolated: RwLock<HashSet<String>>,
    /// Advances once per A answer of several addresses, which come out rotated (round-robin).
    turn: AtomicUsize,
}

/// One served container.
#[derive(Debug)]
pub(crate) struct Client {
    /// The container's ID.
    id: String,
    /// Its own upstreams (`--dns`); empty for the daemon's.
    upstreams: RwLock<Vec<SocketAddr>>,
    /// One per forwarded query of this container in flight.
    forwards: Arc<Semaphore>,
}

impl Dns {
    /// The server, forwarding to `upstreams` (the daemon-wide resolvers: `--dns`, else the
    /// host's non-loopback ones) for containers without resolvers of their own.
    pub fn new(upstreams: Vec<SocketAddr>) -> Dns {
        Dns::with_timeout(upstreams, UPSTREAM_TIMEOUT)
    }

    /// Like [`Dns::new`], giving each upstream `timeout` to answer (tests shorten it).
    pub fn with_timeout(upstreams: Vec<SocketAddr>, timeout: Duration) -> Dns {
        Dns {
            shared: Arc::new(Shared {
                table: RwLock::new(Table::default()),
                forwarder: Forwarder::new(timeout),
                upstreams,
                isolated: RwLock::new(HashSet::new()),
                turn: AtomicUsize::new(0),
            }),
            listeners: Arc::new(Mutex::new(HashMap::new())),
            attaching: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Serves `127.0.0.11:53` (UDP and TCP) inside the network namespace at `netns` (a path
    /// like `/run/netns/X` or `/proc/PID/ns/net`) for container `container`, forwarding to
    /// `upstreams` (its own `--dns`), or to the daemon's when empty. The sockets are opened on a
    /// short-lived thread that enters the namespace, then served by tasks of the calling tokio
    /// runtime. Again for the same namespace only updates the upstreams; for another one, the
    /// old listener stops and a new one starts.
    pub async fn attach(
        &self,
        container: &str,
        netns: &Path,
        upstreams: Vec<SocketAddr>,
    ) -> Result<()> {
        let _one_at_a_time = self.attaching.lock().await;
        if let Some(listener) = self.lock().get(container)
            && listener.netns == netns
        {
            *write(&listener.client.upstreams) = upstreams;
            return Ok(());
        }
        let client = Arc::new(Client {
            id: container.to_string(),
            upstreams: RwLock::new(upstreams),
            forwards: Arc::new(Semaphore::new(MAX_FORWARDS_PER_CONTAINER)),
        });
        let listener = Listener::start(self.shared.clone(), client, netns).await?;
        // A listener in another namespace (the container's earlier one) stops as it is
        // replaced here.
        self.lock().insert(container.to_string(), listener);
        Ok(())
    }

    /// Stops serving `container`: its tasks end and its sockets close. Unknown: nothing.
    pub fn detach(&self, container: &str) {
        let gone = self.lock().remove(container);
        drop(gone);
    }

    /// Records that `container` is on `network` with address `ip` and these `names` (its name
    /// without '/', its aliases, its short ID, ...), replacing what was there for the pair.
    /// `network` is the network's name: `NAME.network` resolves too, as with dockerd.
    pub fn register(&self, network: &str, container: &str, ip: Ipv4Addr, names: Vec<String>) {
        write(&self.shared.table).register(network, container, ip, &names);
    }

    /// Forgets `container` on `network` (disconnect, stop, rm).
    pub fn unregister(&self, network: &str, container: &str) {
        write(&self.shared.table).unregister(network, container);
    }

    /// `container`'s link aliases (`--link target:alias`), as `(alias, target container ID)`:
    /// resolved only for `container`, to the target's address on a network they share.
    pub fn set_links(&self, container: &str, links: Vec<(String, String)>) {
        write(&self.shared.table).set_links(container, links);
    }

    /// Whether `container`'s queries for other names may go to the upstreams (the default).
    /// dockerd forwards nothing for a container whose networks are all `--internal` (it has no
    /// gateway, so no way out): its other queries get SERVFAIL.
    pub fn set_forwarding(&self, container: &str, allowed: bool) {
        let mut isolated = write(&self.shared.isolated);
        if allowed {
            isolated.remove(container);
        } else {
            isolated.insert(container.to_string());
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Listener>> {
        self.listeners
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Shared {
    /// What to do with `packet` from container `from`: a query an isolated container would
    /// have forwarded is answered SERVFAIL at once.
    pub(crate) fn decide(&self, from: &str, packet: &[u8], tcp: bool) -> Outcome {
        let outcome = {
            let table = read(&self.table);
            message::handle(packet, tcp, &table, from, &self.turn)
        };
        match outcome {
            Outcome::Forward(query) if read(&self.isolated).contains(from) => {
                Outcome::Answer(query.servfail())
            }
            other => other,
        }
    }
}

impl Client {
    /// Where this container's forwarded queries go.
    pub(crate) fn upstreams(&self, shared: &Shared) -> Vec<SocketAddr> {
        let own = read(&self.upstreams);
        if own.is_empty() {
            shared.upstreams.clone()
        } else {
            own.clone()
        }
    }
}

/// A read lock that outlives a panic elsewhere (see [`write`]).
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A write lock that outlives a panic elsewhere (the data stays consistent: every change is
/// one call that cannot panic half-way).
fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

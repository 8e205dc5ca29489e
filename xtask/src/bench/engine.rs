//! What the scenarios measure: an engine (wharfd, dockerd...) that can be started cold in a
//! namespace of its own, and the running daemon it gives back, stopped when dropped.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use nix::unistd::Pid;

/// How a daemon is launched and timed until it answers `/_ping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Launcher {
    /// xtask's own: `nsenter --net=…` spawned from Rust, `/_ping` polled from Rust every
    /// 0.5 ms over the socket; the clock starts just before the spawn.
    Direct,
    /// The peer recipe's (`../shared/reference/peer-dockerd/lib/common.sh`): `ip netns exec`
    /// through `ns-init.sh`, which re-mounts the cgroup hierarchies, and `curl` every 5 ms; the
    /// clock starts before all of it and reads whole milliseconds.
    Recipe,
}

/// What a daemon finds in its data root when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Data {
    /// A fresh, empty data root.
    Fresh,
    /// The data root seeded once per bench run with 10 000 small images (see `assets`),
    /// reused by every start: each is a restart on a full store.
    Images10k,
}

/// One way of starting an engine: its launcher, the flags it gets on top of its defaults and
/// the data root it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Start {
    /// How it is launched and timed.
    pub launcher: Launcher,
    /// Extra daemon flags (both daemons take dockerd's flag names).
    pub args: &'static [&'static str],
    /// Its data root.
    pub data: Data,
}

/// A daemon implementation the scenarios can start.
pub trait Engine {
    /// Its column header: `wharfd`, `dockerd`.
    fn name(&self) -> &'static str;

    /// Starts one daemon cold (fresh network namespace, fresh state — or, for
    /// [`Data::Images10k`], the existing data root `data_root`) and returns once it has
    /// answered `/_ping`; dropping the result stops it and removes what it made.
    fn start(&self, how: &Start, data_root: Option<&Path>) -> Result<Box<dyn Running>>;
}

/// A daemon that is up; dropping it stops it (SIGTERM, then waits) and removes its namespace
/// and state, also when a scenario fails half way.
pub trait Running {
    /// From launch to the first `OK` from `/_ping`, as its launcher measures it.
    fn ready(&self) -> Duration;

    /// The daemon's PID, the root of its process tree (dockerd's tree includes containerd).
    fn pid(&self) -> Pid;

    /// Its API socket, for scenarios that drive it (image load, `docker run`...).
    fn socket(&self) -> &Path;

    /// The name of its network namespace (under `/run/netns`), where scenarios start what the
    /// daemon must reach on its loopback (a registry).
    fn netns(&self) -> &str;
}

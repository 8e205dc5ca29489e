//! The `Daemon` core: what start-up built, shared by every request.

use hostcheck::Report;

use crate::config::Config;
use crate::containers::Containers;
use crate::dataroot::DataRoot;
use crate::events::Events;
use crate::images::Images;
use crate::network::Network;
use crate::volumes::Volumes;

/// The running daemon's state; the API backend traits are implemented on it.
#[derive(Debug)]
pub struct Daemon {
    /// The validated configuration.
    pub config: Config,
    /// The data and exec roots.
    pub root: DataRoot,
    /// The host report taken at start-up (facts that do not change while running).
    pub host: Report,
    /// The image store.
    pub images: Images,
    /// The network driver (`None` with `--bridge=none`).
    pub network: Network,
    /// The containers.
    pub containers: Containers,
    /// The named volumes.
    pub volumes: Volumes,
    /// The event bus (`GET /events`).
    pub events: Events,
    /// The execs.
    pub execs: crate::exec::Execs,
    /// The containers' health checks.
    pub health: crate::health::Health,
    /// What SIGHUP may change: settings and the registry client (pull, push, login).
    pub live: crate::service::reload::Live,
    /// The builder's cache besides images (the checksum memo).
    pub build_cache: std::sync::Arc<crate::build::BuildCache>,
}

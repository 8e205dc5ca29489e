//! The driver's allocations (addresses, endpoints, published ports, endpoints being retired) per
//! network, and the files they are recorded in on each change and restored from at start-up, so
//! a restart never hands out an address or port still in use: `bridge.json` for the default
//! bridge and the published ports, `networks/<id>.json` for each user-defined network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::bridge::BridgeState;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::ipam::Ipam;
use crate::ports::{self, PortBinding, PortTable};
use crate::state;
use crate::usernet::{Saved, UserNet};

/// The file that holds the bridge network's endpoints and published ports.
pub const BRIDGE_STATE_FILE: &str = "bridge.json";

/// The directory (in the state directory) with one file per user-defined network.
pub(crate) const NETWORKS_DIR: &str = "networks";

/// What `bridge.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Persisted {
    /// The subnet the endpoints were allocated from.
    subnet: Option<Ipv4Net>,
    endpoints: Vec<Endpoint>,
    ports: Vec<PortBinding>,
    /// Detached endpoints whose veth was still being deleted; their addresses stay reserved.
    #[serde(default)]
    retiring: Vec<Endpoint>,
}

/// One network's addresses and endpoints.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) ipam: Ipam,
    /// By container ID.
    pub(crate) endpoints: BTreeMap<String, Endpoint>,
    /// Detached endpoints whose veth is being deleted in the background, by endpoint ID.
    pub(crate) retiring: BTreeMap<String, Endpoint>,
}

impl Segment {
    /// An empty segment over `ipam`.
    pub(crate) fn new(ipam: Ipam) -> Segment {
        Segment {
            ipam,
            endpoints: BTreeMap::new(),
            retiring: BTreeMap::new(),
        }
    }

    /// Takes back what a previous run recorded; entries that no longer fit (another prefix,
    /// an address outside the subnet) are dropped with a warning.
    pub(crate) fn restore(&mut self, endpoints: Vec<Endpoint>, retiring: Vec<Endpoint>) {
        let prefix = self.ipam.subnet().prefix_len();
        for ep in retiring {
            if ep.prefix_len == prefix && self.ipam.restore(ep.ip).is_ok() {
                self.retiring.insert(ep.id.clone(), ep);
            }
        }
        for ep in endpoints {
            let fits = if ep.prefix_len == prefix {
                self.ipam.restore(ep.ip)
            } else {
                Err(Error::InvalidParameter(format!(
                    "prefix /{} differs",
                    ep.prefix_len
                )))
            };
            match fits {
                Ok(()) => {
                    self.endpoints.insert(ep.container_id.clone(), ep);
                }
                Err(e) => tracing::warn!(container = %ep.container_id, error = %e,
                    "dropping an endpoint recorded on another subnet"),
            }
        }
    }
}

/// The driver's mutable part, behind one lock.
#[derive(Debug)]
pub(crate) struct Allocations {
    /// The default `bridge` network.
    pub(crate) bridge: Segment,
    /// The user-defined networks, by ID.
    pub(crate) users: BTreeMap<String, UserNet>,
    /// Every published port, whichever network its container's address is on.
    pub(crate) ports: PortTable,
}

impl Allocations {
    /// The segment of `network` (empty: the default bridge).
    pub(crate) fn segment(&mut self, network: &str) -> Result<&mut Segment> {
        if network.is_empty() {
            return Ok(&mut self.bridge);
        }
        self.users
            .get_mut(network)
            .map(|u| &mut u.seg)
            .ok_or_else(|| Error::NotFound(format!("network {network} not found")))
    }

    /// Every segment: the default bridge's first, then the user networks'.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &Segment> {
        std::iter::once(&self.bridge).chain(self.users.values().map(|u| &u.seg))
    }

    /// Records what changed for `network` (empty: the default bridge and the ports).
    pub(crate) fn save(&self, dir: &Path, network: &str) -> Result<()> {
        if network.is_empty() {
            return self.save_bridge(dir);
        }
        match self.users.get(network) {
            Some(u) => u.save(&network_file(dir, network)),
            None => Ok(()),
        }
    }

    /// Records the default bridge's allocations and the published ports (atomically).
    pub(crate) fn save_bridge(&self, dir: &Path) -> Result<()> {
        let p = Persisted {
            subnet: Some(self.bridge.ipam.subnet()),
            endpoints: self.bridge.endpoints.values().cloned().collect(),
            ports: self.ports.bindings().cloned().collect(),
            retiring: self.bridge.retiring.values().cloned().collect(),
        };
        state::write_json(&dir.join(BRIDGE_STATE_FILE), &p)
    }

    /// Rebuilds the default bridge's allocations recorded by the previous run, and the user
    /// networks (`users`, already restored); then the port reservations, dropping those whose
    /// endpoint is gone or whose port some process took meanwhile (with a warning).
    pub(crate) fn restore(
        dir: &Path,
        bridge: &BridgeState,
        users: BTreeMap<String, UserNet>,
    ) -> Result<Allocations> {
        let saved: Persisted = state::read_json(&dir.join(BRIDGE_STATE_FILE))?.unwrap_or_default();
        let mut seg = Segment::new(Ipam::new(bridge.address.trunc(), bridge.address.addr()));
        seg.restore(saved.endpoints, saved.retiring);
        let mut inner = Allocations {
            bridge: seg,
            users,
            ports: PortTable::default(),
        };
        for b in saved.ports {
            let live = inner.segments().any(|s| {
                s.endpoints
                    .get(&b.container_id)
                    .is_some_and(|e| e.ip == b.container_ip)
            });
            if !live {
                continue;
            }
            if let Err(e) = inner.ports.add(b.clone(), ports::reserve) {
                tracing::warn!(container = %b.container_id, error = %e, "dropping a published port");
            }
        }
        Ok(inner)
    }
}

/// The file of user network `id`.
pub(crate) fn network_file(dir: &Path, id: &str) -> PathBuf {
    dir.join(NETWORKS_DIR).join(format!("{id}.json"))
}

/// The user networks recorded in `dir`, with their endpoints (their bridges are the caller's).
pub(crate) fn load_networks(dir: &Path) -> Result<Vec<Saved>> {
    let d = dir.join(NETWORKS_DIR);
    let entries = match std::fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::system(format!("reading {}", d.display()), e)),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        match crate::usernet::read(&path) {
            Ok(Some(n)) => out.push(n),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "skipping an unreadable network")
            }
        }
    }
    out.sort_by(|a, b| a.0.created.cmp(&b.0.created).then(a.0.id.cmp(&b.0.id)));
    Ok(out)
}

//! The bridge network's allocations (addresses, endpoints, published ports, endpoints being
//! retired) and `bridge.json`, where they are recorded on each change and restored from at
//! start-up, so a restart never hands out an address or port still in use.

use std::collections::BTreeMap;
use std::path::Path;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::bridge::BridgeState;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::ipam::Ipam;
use crate::ports::{self, PortBinding, PortTable};
use crate::state;

/// The file that holds the bridge network's endpoints and published ports.
pub const BRIDGE_STATE_FILE: &str = "bridge.json";

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

/// The driver's mutable part, behind one lock.
#[derive(Debug)]
pub(crate) struct Allocations {
    pub(crate) ipam: Ipam,
    /// By container ID.
    pub(crate) endpoints: BTreeMap<String, Endpoint>,
    pub(crate) ports: PortTable,
    /// Detached endpoints whose veth is being deleted in the background, by endpoint ID.
    pub(crate) retiring: BTreeMap<String, Endpoint>,
}

impl Allocations {
    /// Records the allocations in `path` (atomically).
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        let p = Persisted {
            subnet: Some(self.ipam.subnet()),
            endpoints: self.endpoints.values().cloned().collect(),
            ports: self.ports.bindings().cloned().collect(),
            retiring: self.retiring.values().cloned().collect(),
        };
        state::write_json(path, &p)
    }

    /// Rebuilds the allocations and port reservations recorded by the previous run. Entries
    /// that no longer fit (another subnet, a port some process took meanwhile) are dropped
    /// with a warning.
    pub(crate) fn restore(path: &Path, bridge: &BridgeState) -> Result<Allocations> {
        let saved: Persisted = state::read_json(path)?.unwrap_or_default();
        let mut inner = Allocations {
            ipam: Ipam::new(bridge.address.trunc(), bridge.address.addr()),
            endpoints: BTreeMap::new(),
            ports: PortTable::default(),
            retiring: BTreeMap::new(),
        };
        for ep in saved.retiring {
            if ep.prefix_len == bridge.address.prefix_len() && inner.ipam.restore(ep.ip).is_ok() {
                inner.retiring.insert(ep.id.clone(), ep);
            }
        }
        for ep in saved.endpoints {
            let fits = if ep.prefix_len == bridge.address.prefix_len() {
                inner.ipam.restore(ep.ip)
            } else {
                Err(Error::InvalidParameter(format!(
                    "prefix /{} differs",
                    ep.prefix_len
                )))
            };
            match fits {
                Ok(()) => {
                    inner.endpoints.insert(ep.container_id.clone(), ep);
                }
                Err(e) => tracing::warn!(container = %ep.container_id, error = %e,
                    "dropping an endpoint recorded on another subnet"),
            }
        }
        for b in saved.ports {
            let live = inner
                .endpoints
                .get(&b.container_id)
                .is_some_and(|e| e.ip == b.container_ip);
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

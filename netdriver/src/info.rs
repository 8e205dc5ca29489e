//! What the API shows about networks: the three built-in networks' identities and the bridge
//! network's configuration.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use ipnet::Ipv4Net;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::error::Result;
use crate::state;

/// The file that holds the built-in networks' identities.
pub const NETWORKS_FILE: &str = "networks.json";

/// A network's ID and creation time, kept across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkIdentity {
    /// 64 hex characters.
    pub id: String,
    /// When the network was first created (shown and stored as Go's `RFC3339Nano`).
    pub created: Timestamp,
}

impl NetworkIdentity {
    fn fresh() -> Result<Self> {
        Ok(NetworkIdentity {
            id: state::random_id()?,
            created: Timestamp::now(),
        })
    }
}

/// The identities of Docker's three built-in networks: `bridge`, `host` and `none`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuiltinNetworks {
    /// The `bridge` network (driver `bridge`).
    pub bridge: NetworkIdentity,
    /// The `host` network (driver `host`).
    pub host: NetworkIdentity,
    /// The `none` network (driver `null`).
    pub none: NetworkIdentity,
}

/// Loads the built-in networks' identities from `state_dir`, creating and saving them on first
/// use. Works with `--bridge=none` too, where no [`crate::NetDriver`] exists.
pub fn builtin_networks(state_dir: &Path) -> Result<BuiltinNetworks> {
    let path = state_dir.join(NETWORKS_FILE);
    if let Some(n) = state::read_json(&path)? {
        return Ok(n);
    }
    let n = BuiltinNetworks {
        bridge: NetworkIdentity::fresh()?,
        host: NetworkIdentity::fresh()?,
        none: NetworkIdentity::fresh()?,
    };
    state::write_json(&path, &n)?;
    Ok(n)
}

/// The `bridge` network as `GET /networks/bridge` and `/info` need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    /// The network's name, `bridge`.
    pub name: String,
    /// The network's ID and creation time.
    pub identity: NetworkIdentity,
    /// The bridge interface (`com.docker.network.bridge.name`).
    pub bridge: String,
    /// Whether this is the default bridge (`com.docker.network.bridge.default_bridge`).
    pub default_bridge: bool,
    /// The subnet (`IPAM.Config[0].Subnet`).
    pub subnet: Ipv4Net,
    /// The gateway (`IPAM.Config[0].Gateway`).
    pub gateway: Ipv4Addr,
    /// `com.docker.network.driver.mtu`.
    pub mtu: u32,
    /// `com.docker.network.bridge.enable_icc`.
    pub icc: bool,
    /// `com.docker.network.bridge.enable_ip_masquerade` (true when wharf programs nftables).
    pub ip_masquerade: bool,
    /// `com.docker.network.bridge.host_binding_ipv4`.
    pub host_binding_ipv4: IpAddr,
    /// The attached endpoints (`Containers`), ordered by container ID.
    pub endpoints: Vec<Endpoint>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_keep_their_go_times() {
        // The bridge network in the reference trace was created 2026-11-28T04:43:30.21583672Z;
        // a networks.json written before jiff reads and writes back byte for byte.
        for created in [
            "2026-11-28T04:43:30.21583672Z",
            "1970-01-01T00:00:00Z",
            "2000-02-29T00:00:00.000000001Z",
        ] {
            let raw = format!(r#"{{"id":"{}","created":"{created}"}}"#, "ab".repeat(32));
            let id: NetworkIdentity = serde_json::from_str(&raw).expect("valid");
            assert_eq!(id.created.to_string(), created);
            assert_eq!(serde_json::to_string(&id).expect("serialises"), raw);
        }
    }
}

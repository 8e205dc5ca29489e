//! Container endpoints: a veth pair with one end on the bridge and the other, renamed `eth0`,
//! inside the container's network namespace.

use std::fs::File;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::mac::MacAddr;
use crate::netlink::Netlink;

/// A container's attachment to a bridge network (the default `bridge` or a user-defined one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The endpoint's ID (64 hex characters), Docker's `EndpointID`.
    pub id: String,
    /// The user-defined network's ID, or empty for the default `bridge` network.
    #[serde(default)]
    pub network: String,
    /// The interface's name inside the container (`eth0`, `eth1`, ...).
    #[serde(default = "default_ifname")]
    pub ifname: String,
    /// Whether the container's default route goes through this endpoint's gateway.
    #[serde(default = "yes")]
    pub default_route: bool,
    /// The container this endpoint belongs to.
    pub container_id: String,
    /// The container's address.
    pub ip: Ipv4Addr,
    /// The subnet's prefix length.
    pub prefix_len: u8,
    /// The default gateway inside the container (the bridge's address).
    pub gateway: Ipv4Addr,
    /// The MAC of `eth0`, derived from `ip`.
    pub mac: MacAddr,
    /// The host side of the veth pair, a port of the bridge.
    pub host_veth: String,
    /// The MTU of both ends.
    pub mtu: u32,
    /// The network namespace `eth0` lives in (as given to attach).
    pub netns: PathBuf,
}

impl Endpoint {
    /// The container's address with the subnet's prefix, as `IPAddress`/`IPPrefixLen` show it.
    pub fn ip_net(&self) -> Ipv4Net {
        // The driver only makes (and restores) endpoints with its subnet's prefix; a hand-made
        // endpoint with an impossible prefix is shown as a host address.
        Ipv4Net::new(self.ip, self.prefix_len).unwrap_or_else(|_| Ipv4Net::from(self.ip))
    }
}

/// The interface name inside the container of its first endpoint.
pub const CONTAINER_IFNAME: &str = "eth0";

fn default_ifname() -> String {
    CONTAINER_IFNAME.to_string()
}

fn yes() -> bool {
    true
}

/// The host-side name for an endpoint of `container_id`: `veth` and seven hex digits, as
/// dockerd's names look. `salt` changes the name when two containers' hashes collide.
pub(crate) fn host_veth_name(container_id: &str, salt: u32) -> String {
    // FNV-1a: stable across builds, unlike std's hasher, so names mean the same after upgrades.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in container_id.bytes().chain(salt.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("veth{:07x}", h & 0x0fff_ffff)
}

/// Creates the veth pair in one request, the host side up on the bridge and the peer directly
/// inside the container's namespace as `ep.ifname`, then configures the inside and turns on the
/// host side's hairpin mode, both at once. On failure the pair is deleted again.
pub(crate) async fn plumb(
    net: &dyn Netlink,
    bridge_index: u32,
    ep: &Endpoint,
    ns: File,
) -> Result<()> {
    let host = &ep.host_veth;
    net.create_veth(bridge_index, ep, &ns).await?;
    let (result, hairpin) = tokio::join!(net.configure_inside(ns, ep), net.set_hairpin(host));
    let result = result.and(hairpin);
    if result.is_err()
        && let Err(e) = net.delete_link(host).await
    {
        tracing::warn!(error = %e, veth = %host, "could not remove a half-made endpoint");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn veth_names_look_like_dockers_and_are_stable() {
        let a = host_veth_name("abc", 0);
        assert_eq!(a.len(), 11);
        assert!(a.starts_with("veth"));
        assert!(a[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, host_veth_name("abc", 0));
        assert_ne!(a, host_veth_name("abc", 1));
        assert_ne!(a, host_veth_name("abd", 0));
    }
}

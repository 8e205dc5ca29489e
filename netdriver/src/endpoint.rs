//! Container endpoints: a veth pair with one end on the bridge and the other, renamed `eth0`,
//! inside the container's network namespace.

use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use ipnet::Ipv4Net;
use netlink_packet_route::link::{InfoData, InfoVeth};
use rtnetlink::{
    Handle, LinkBridgePort, LinkMessageBuilder, LinkUnspec, LinkVeth, RouteMessageBuilder,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::{self, nl_err};
use crate::nsexec;

/// A container's attachment to the bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The endpoint's ID (64 hex characters), Docker's `EndpointID`.
    pub id: String,
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

/// The interface name inside the container.
pub const CONTAINER_IFNAME: &str = "eth0";

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
/// inside the container's namespace as `eth0` with its MAC and MTU (creating it there is much
/// cheaper than moving it: a move re-registers the device), then configures the inside. On
/// failure the pair is deleted again.
pub(crate) async fn plumb(h: &Handle, bridge_index: u32, ep: &Endpoint, ns: File) -> Result<()> {
    let host = &ep.host_veth;
    let peer = LinkMessageBuilder::<LinkUnspec>::new()
        .name(CONTAINER_IFNAME)
        .mtu(ep.mtu)
        .address(ep.mac.0.to_vec())
        .setns_by_fd(ns.as_raw_fd())
        .build();
    let pair = LinkVeth::new(host, CONTAINER_IFNAME)
        .mtu(ep.mtu)
        .controller(bridge_index)
        .up()
        .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
        .build();
    h.link().add(pair).execute().await.map_err(|e| {
        if netlink::errno(&e) == Some(nix::libc::EEXIST) {
            Error::Conflict(format!(
                "network namespace {} already has an {CONTAINER_IFNAME}",
                ep.netns.display()
            ))
        } else {
            nl_err(format!("creating veth pair {host}"))(e)
        }
    })?;
    let inside = ep.clone();
    let what = format!("network namespace {}", ep.netns.display());
    let (result, hairpin) = tokio::join!(
        nsexec::in_netns(ns, what, move |c| async move {
            configure_inside(&c, &inside).await
        }),
        hairpin(h, host),
    );
    let result = result.and(hairpin);
    if result.is_err()
        && let Err(e) = netlink::delete_link(h, host).await
    {
        tracing::warn!(error = %e, veth = %host, "could not remove a half-made endpoint");
    }
    result
}

/// Lets the bridge send a frame back out of the port it came in on, so a container reaches its
/// own published ports through the host's addresses (the DNAT target is the sender itself).
async fn hairpin(h: &Handle, host: &str) -> Result<()> {
    let index = netlink::link_index(h, host)
        .await?
        .ok_or_else(|| Error::NotFound(format!("link {host} not found after creating it")))?;
    h.link()
        .set_port(LinkBridgePort::new(index).hairpin(true).build())
        .execute()
        .await
        .map_err(nl_err(format!("setting hairpin mode on {host}")))
}

/// Inside the container's namespace: `eth0` with its address and up, `lo` up, and the default
/// route through the bridge.
async fn configure_inside(c: &Handle, ep: &Endpoint) -> Result<()> {
    let ns = ep.netns.display();
    let index = netlink::link_index(c, CONTAINER_IFNAME)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "link {CONTAINER_IFNAME} not found in network namespace {ns}"
            ))
        })?;
    let what = format!("{CONTAINER_IFNAME} in {ns}");
    netlink::add_ipv4(c, index, ep.ip_net(), &what).await?;
    netlink::set_up(c, index, &what).await?;
    if let Some(lo) = netlink::link_index(c, "lo").await? {
        netlink::set_up(c, lo, &format!("lo in {ns}")).await?;
    }
    let route = RouteMessageBuilder::<Ipv4Addr>::new()
        .gateway(ep.gateway)
        .output_interface(index)
        .build();
    c.route()
        .add(route)
        .replace()
        .execute()
        .await
        .map_err(nl_err(format!(
            "adding the default route via {} in {ns}",
            ep.gateway
        )))
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

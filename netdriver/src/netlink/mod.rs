//! The link operations the bridge and endpoint logic need, behind one small trait: [`RtNetlink`]
//! makes them with rtnetlink; in unit tests an in-memory fake (`fake`) stands in, so what the
//! driver creates, allocates and releases is tested without root or a namespace.
//!
//! The trait is object safe (`Arc<dyn Netlink>` in the driver; its futures are boxed): a
//! netlink request costs far more than the allocation.

mod rtnl;

#[cfg(test)]
pub(crate) mod fake;

use std::fs::File;

use futures::future::BoxFuture;
use ipnet::Ipv4Net;

use crate::endpoint::Endpoint;
use crate::error::Result;
use crate::mac::MacAddr;

pub(crate) use rtnl::{RtNetlink, connect};

/// Links, addresses and routes of one network namespace (the daemon's), and the container side
/// of an endpoint.
pub(crate) trait Netlink: Send + Sync + std::fmt::Debug {
    /// The index of link `name`, or `None` if there is no such link.
    fn link_index<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<u32>>>;

    /// Whether link `index` is a bridge.
    fn is_bridge(&self, index: u32) -> BoxFuture<'_, Result<bool>>;

    /// The IPv4 addresses (with prefix) on link `index`.
    fn ipv4_addrs(&self, index: u32) -> BoxFuture<'_, Result<Vec<Ipv4Net>>>;

    /// The destinations of the main table's IPv4 unicast routes, default routes left out.
    fn ipv4_route_destinations(&self) -> BoxFuture<'_, Result<Vec<Ipv4Net>>>;

    /// Creates bridge `name` with `mtu` and `mac` (down, without addresses); returns its index.
    fn create_bridge<'a>(
        &'a self,
        name: &'a str,
        mtu: u32,
        mac: MacAddr,
    ) -> BoxFuture<'a, Result<u32>>;

    /// Adds `net` to link `index`; an address that is already there is fine. `what` names the
    /// link in errors.
    fn add_ipv4<'a>(&'a self, index: u32, net: Ipv4Net, what: &'a str)
    -> BoxFuture<'a, Result<()>>;

    /// Sets link `index` up. `what` names the link in errors.
    fn set_up<'a>(&'a self, index: u32, what: &'a str) -> BoxFuture<'a, Result<()>>;

    /// Creates `ep`'s veth pair: `ep.host_veth` up on bridge `bridge_index`, the peer inside the
    /// namespace `ns` as `ep.ifname` with `ep`'s MAC and MTU. [`crate::Error::Conflict`] if the
    /// namespace already has an interface of that name.
    fn create_veth<'a>(
        &'a self,
        bridge_index: u32,
        ep: &'a Endpoint,
        ns: &'a File,
    ) -> BoxFuture<'a, Result<()>>;

    /// Turns on hairpin mode on bridge port `name`.
    fn set_hairpin<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>>;

    /// Inside the namespace `ns` (on a thread of its own): `ep.ifname` gets `ep`'s address and is
    /// set up, `lo` is set up, and, if `ep.default_route`, the default route goes through `ep`'s
    /// gateway.
    fn configure_inside<'a>(&'a self, ns: File, ep: &'a Endpoint) -> BoxFuture<'a, Result<()>>;

    /// Inside the namespace `ns`: the default route goes through `ep`'s gateway on `ep.ifname`,
    /// replacing the one there.
    fn set_default_route<'a>(&'a self, ns: File, ep: &'a Endpoint) -> BoxFuture<'a, Result<()>>;

    /// Deletes link `name` (a veth's peer goes with it); `false` if it did not exist.
    fn delete_link<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool>>;
}

//! An in-memory [`Netlink`] for unit tests: one namespace's links and routes in a table that
//! the calls change as the kernel would (the container side of a veth is recorded on its host
//! side), and any changing operation made to fail on demand.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use futures::future::{BoxFuture, FutureExt, ready};
use ipnet::Ipv4Net;

use super::Netlink;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::mac::MacAddr;

/// A changing operation of [`Netlink`], to make it fail with [`FakeNetlink::fail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Op {
    CreateBridge,
    AddIpv4,
    SetUp,
    CreateVeth,
    Hairpin,
    ConfigureInside,
    DeleteLink,
}

/// A link of the fake namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) index: u32,
    pub(crate) bridge: bool,
    pub(crate) up: bool,
    pub(crate) mtu: u32,
    pub(crate) mac: Option<MacAddr>,
    pub(crate) addrs: Vec<Ipv4Net>,
    /// For a veth's host side: the bridge it is a port of.
    pub(crate) controller: Option<u32>,
    pub(crate) hairpin: bool,
    /// For a veth's host side: the namespace its peer (`eth0`) is in.
    pub(crate) peer_netns: Option<PathBuf>,
    /// For a veth's host side: the name of its peer inside the namespace.
    pub(crate) peer_ifname: Option<String>,
    /// For a veth's host side: the address and gateway its peer was configured with.
    pub(crate) peer_config: Option<(Ipv4Net, Ipv4Addr)>,
    /// For a veth's host side: the namespace's default route goes through its peer.
    pub(crate) peer_default_route: bool,
}

/// The fake namespace.
#[derive(Debug, Default)]
pub(crate) struct World {
    /// By name.
    pub(crate) links: BTreeMap<String, Link>,
    /// Route destinations of the main table.
    pub(crate) routes: Vec<Ipv4Net>,
    failing: BTreeSet<Op>,
    last_index: u32,
}

impl World {
    fn check(&self, op: Op) -> Result<()> {
        if self.failing.contains(&op) {
            return Err(Error::system(
                format!("fake {op:?}"),
                std::io::Error::other("injected failure"),
            ));
        }
        Ok(())
    }

    fn by_index(&mut self, index: u32) -> Result<&mut Link> {
        self.links
            .values_mut()
            .find(|l| l.index == index)
            .ok_or_else(|| Error::NotFound(format!("link {index} not found")))
    }

    /// Adds a link as the host had it before the driver ran; returns its index.
    pub(crate) fn add_link(&mut self, name: &str, link: Link) -> u32 {
        self.last_index += 1;
        let index = self.last_index;
        self.links.insert(name.to_string(), Link { index, ..link });
        index
    }

    /// The names of the veths' host sides.
    pub(crate) fn veths(&self) -> Vec<&str> {
        self.links
            .iter()
            .filter(|(_, l)| l.peer_netns.is_some())
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

/// An in-memory [`Netlink`].
#[derive(Debug, Default)]
pub(crate) struct FakeNetlink(Mutex<World>);

impl FakeNetlink {
    /// The namespace as it is now, to set up or inspect.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes every later call of `op` fail, until [`FakeNetlink::heal`].
    pub(crate) fn fail(&self, op: Op) {
        self.world().failing.insert(op);
    }

    /// Lets `op` succeed again.
    pub(crate) fn heal(&self, op: Op) {
        self.world().failing.remove(&op);
    }

    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut World) -> Result<T>,
    ) -> BoxFuture<'_, Result<T>> {
        ready(f(&mut self.world())).boxed()
    }
}

impl Netlink for FakeNetlink {
    fn link_index<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<u32>>> {
        self.run(|w| Ok(w.links.get(name).map(|l| l.index)))
    }

    fn is_bridge(&self, index: u32) -> BoxFuture<'_, Result<bool>> {
        self.run(move |w| Ok(w.by_index(index)?.bridge))
    }

    fn ipv4_addrs(&self, index: u32) -> BoxFuture<'_, Result<Vec<Ipv4Net>>> {
        self.run(move |w| Ok(w.by_index(index)?.addrs.clone()))
    }

    fn ipv4_route_destinations(&self) -> BoxFuture<'_, Result<Vec<Ipv4Net>>> {
        self.run(|w| Ok(w.routes.clone()))
    }

    fn create_bridge<'a>(
        &'a self,
        name: &'a str,
        mtu: u32,
        mac: MacAddr,
    ) -> BoxFuture<'a, Result<u32>> {
        self.run(move |w| {
            w.check(Op::CreateBridge)?;
            if w.links.contains_key(name) {
                return Err(Error::Conflict(format!("link {name} exists")));
            }
            let link = Link {
                bridge: true,
                mtu,
                mac: Some(mac),
                ..Link::default()
            };
            Ok(w.add_link(name, link))
        })
    }

    fn add_ipv4<'a>(&'a self, index: u32, net: Ipv4Net, _: &'a str) -> BoxFuture<'a, Result<()>> {
        self.run(move |w| {
            w.check(Op::AddIpv4)?;
            let link = w.by_index(index)?;
            if !link.addrs.contains(&net) {
                link.addrs.push(net);
            }
            Ok(())
        })
    }

    fn set_up<'a>(&'a self, index: u32, _: &'a str) -> BoxFuture<'a, Result<()>> {
        self.run(move |w| {
            w.check(Op::SetUp)?;
            w.by_index(index)?.up = true;
            Ok(())
        })
    }

    fn create_veth<'a>(
        &'a self,
        bridge_index: u32,
        ep: &'a Endpoint,
        _: &'a File,
    ) -> BoxFuture<'a, Result<()>> {
        self.run(move |w| {
            w.check(Op::CreateVeth)?;
            let taken =
                w.links.contains_key(&ep.host_veth) || w.links.values().any(|l| is_peer(l, ep));
            if taken {
                // The kernel's EEXIST, as the real one reports it.
                return Err(Error::Conflict(format!(
                    "network namespace {} already has an {}",
                    ep.netns.display(),
                    ep.ifname
                )));
            }
            if !w.by_index(bridge_index)?.bridge {
                return Err(Error::InvalidParameter(format!(
                    "link {bridge_index} is not a bridge"
                )));
            }
            let link = Link {
                up: true,
                mtu: ep.mtu,
                controller: Some(bridge_index),
                peer_netns: Some(ep.netns.clone()),
                peer_ifname: Some(ep.ifname.clone()),
                ..Link::default()
            };
            w.add_link(&ep.host_veth, link);
            Ok(())
        })
    }

    fn set_hairpin<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>> {
        self.run(move |w| {
            w.check(Op::Hairpin)?;
            let link = w
                .links
                .get_mut(name)
                .ok_or_else(|| Error::NotFound(format!("link {name} not found")))?;
            link.hairpin = true;
            Ok(())
        })
    }

    fn configure_inside<'a>(&'a self, _: File, ep: &'a Endpoint) -> BoxFuture<'a, Result<()>> {
        self.run(move |w| {
            w.check(Op::ConfigureInside)?;
            peer(w, ep)?.peer_config = Some((ep.ip_net(), ep.gateway));
            if ep.default_route {
                route_via(w, ep)?;
            }
            Ok(())
        })
    }

    fn set_default_route<'a>(&'a self, _: File, ep: &'a Endpoint) -> BoxFuture<'a, Result<()>> {
        self.run(move |w| {
            w.check(Op::ConfigureInside)?;
            route_via(w, ep)
        })
    }

    fn delete_link<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool>> {
        self.run(move |w| {
            w.check(Op::DeleteLink)?;
            Ok(w.links.remove(name).is_some())
        })
    }
}

/// Whether `link` is the host side of `ep`'s pair (its peer is `ep.ifname` in `ep.netns`).
fn is_peer(link: &Link, ep: &Endpoint) -> bool {
    link.peer_netns.as_ref() == Some(&ep.netns) && link.peer_ifname.as_ref() == Some(&ep.ifname)
}

/// The host side of `ep`'s pair.
fn peer<'w>(w: &'w mut World, ep: &Endpoint) -> Result<&'w mut Link> {
    w.links
        .values_mut()
        .find(|l| is_peer(l, ep))
        .ok_or_else(|| {
            Error::NotFound(format!(
                "link {} not found in network namespace {}",
                ep.ifname,
                ep.netns.display()
            ))
        })
}

/// The namespace's default route through `ep` (and no other of its interfaces).
fn route_via(w: &mut World, ep: &Endpoint) -> Result<()> {
    peer(w, ep)?;
    for l in w.links.values_mut() {
        if l.peer_netns.as_ref() == Some(&ep.netns) {
            l.peer_default_route = is_peer(l, ep);
        }
    }
    Ok(())
}

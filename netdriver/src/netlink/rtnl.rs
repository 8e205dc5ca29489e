//! [`RtNetlink`]: the real [`Netlink`], rtnetlink requests over a socket in the daemon's
//! network namespace, and the small helpers they share with the requests made inside a
//! container's namespace. Every request goes to the namespace the handle's socket was opened in.

use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;

use futures::TryStreamExt;
use futures::future::{BoxFuture, FutureExt};
use ipnet::Ipv4Net;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::link::{InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteHeader, RouteType};
use rtnetlink::{
    Handle, LinkBridge, LinkBridgePort, LinkMessageBuilder, LinkUnspec, LinkVeth,
    RouteMessageBuilder,
};

use super::Netlink;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::nsexec;

/// The real [`Netlink`]: requests over one rtnetlink socket.
#[derive(Debug, Clone)]
pub(crate) struct RtNetlink {
    handle: Handle,
}

impl RtNetlink {
    /// A socket in the calling thread's network namespace, driven by a thread of its own (see
    /// [`connect_pinned`]).
    pub(crate) async fn connect_pinned() -> Result<RtNetlink> {
        Ok(RtNetlink {
            handle: connect_pinned().await?,
        })
    }
}

impl Netlink for RtNetlink {
    fn link_index<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<u32>>> {
        link_index(&self.handle, name).boxed()
    }

    fn is_bridge(&self, index: u32) -> BoxFuture<'_, Result<bool>> {
        is_bridge(&self.handle, index).boxed()
    }

    fn ipv4_addrs(&self, index: u32) -> BoxFuture<'_, Result<Vec<Ipv4Net>>> {
        ipv4_addrs(&self.handle, index).boxed()
    }

    fn ipv4_route_destinations(&self) -> BoxFuture<'_, Result<Vec<Ipv4Net>>> {
        ipv4_route_destinations(&self.handle).boxed()
    }

    fn create_bridge<'a>(
        &'a self,
        name: &'a str,
        mtu: u32,
        mac: MacAddr,
    ) -> BoxFuture<'a, Result<u32>> {
        create_bridge(&self.handle, name, mtu, mac).boxed()
    }

    fn add_ipv4<'a>(
        &'a self,
        index: u32,
        net: Ipv4Net,
        what: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        add_ipv4(&self.handle, index, net, what).boxed()
    }

    fn set_up<'a>(&'a self, index: u32, what: &'a str) -> BoxFuture<'a, Result<()>> {
        set_up(&self.handle, index, what).boxed()
    }

    fn create_veth<'a>(
        &'a self,
        bridge_index: u32,
        ep: &'a Endpoint,
        ns: &'a File,
    ) -> BoxFuture<'a, Result<()>> {
        create_veth(&self.handle, bridge_index, ep, ns).boxed()
    }

    fn set_hairpin<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>> {
        set_hairpin(&self.handle, name).boxed()
    }

    fn configure_inside<'a>(&'a self, ns: File, ep: &'a Endpoint) -> BoxFuture<'a, Result<()>> {
        let inside = ep.clone();
        let what = format!("network namespace {}", ep.netns.display());
        nsexec::in_netns(ns, what, move |c| async move {
            configure_inside(&c, &inside).await
        })
        .boxed()
    }

    fn set_default_route<'a>(&'a self, ns: File, ep: &'a Endpoint) -> BoxFuture<'a, Result<()>> {
        let inside = ep.clone();
        let what = format!("network namespace {}", ep.netns.display());
        nsexec::in_netns(ns, what, move |c| async move {
            default_route(&c, &inside).await
        })
        .boxed()
    }

    fn delete_link<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool>> {
        delete_link(&self.handle, name).boxed()
    }
}

/// Turns a netlink failure into [`Error::System`], with the errno text when there is one.
fn nl_err(context: impl std::fmt::Display) -> impl FnOnce(rtnetlink::Error) -> Error {
    move |e| match e {
        rtnetlink::Error::NetlinkError(m) => Error::system(context, m.to_io()),
        other => Error::system(context, other),
    }
}

/// The errno of a netlink error reply, if it is one.
fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => Some(-m.raw_code()),
        _ => None,
    }
}

/// Opens a netlink socket in the calling thread's network namespace, driven by a thread of its
/// own, so the handle works from any runtime (the driver may outlive the runtime that created
/// it). The thread ends when the last handle is dropped.
async fn connect_pinned() -> Result<Handle> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    // A new thread starts in the namespace of the thread that spawns it.
    std::thread::Builder::new()
        .name("wharf-netlink".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(Error::system("building the netlink runtime", e)));
                    return;
                }
            };
            rt.block_on(async move {
                match rtnetlink::new_connection() {
                    Ok((conn, handle, _)) => {
                        let _ = tx.send(Ok(handle));
                        conn.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(Error::system("opening a netlink socket", e)));
                    }
                }
            });
        })
        .map_err(|e| Error::system("starting the netlink thread", e))?;
    rx.await.map_err(|_| {
        Error::system(
            "opening a netlink socket",
            std::io::Error::other("the netlink thread ended early"),
        )
    })?
}

/// Opens a netlink socket in the calling thread's network namespace and drives it on the
/// current tokio runtime. The connection task ends when the last handle is dropped.
pub(crate) fn connect() -> Result<Handle> {
    let (conn, handle, _) =
        rtnetlink::new_connection().map_err(|e| Error::system("opening a netlink socket", e))?;
    tokio::spawn(conn);
    Ok(handle)
}

/// The index of link `name`, or `None` if there is no such link.
async fn link_index(h: &Handle, name: &str) -> Result<Option<u32>> {
    match h.link().get().match_name(name).execute().try_next().await {
        Ok(Some(msg)) => Ok(Some(msg.header.index)),
        Ok(None) => Ok(None),
        Err(e) if errno(&e) == Some(nix::libc::ENODEV) => Ok(None),
        Err(e) => Err(nl_err(format!("looking up link {name}"))(e)),
    }
}

/// Whether link `index` is a bridge.
async fn is_bridge(h: &Handle, index: u32) -> Result<bool> {
    let msg = h
        .link()
        .get()
        .match_index(index)
        .execute()
        .try_next()
        .await
        .map_err(nl_err(format!("looking up link {index}")))?;
    Ok(msg.is_some_and(|m| {
        m.attributes.iter().any(|a| match a {
            LinkAttribute::LinkInfo(infos) => infos
                .iter()
                .any(|i| matches!(i, LinkInfo::Kind(InfoKind::Bridge))),
            _ => false,
        })
    }))
}

/// The IPv4 addresses (with prefix) on link `index`.
async fn ipv4_addrs(h: &Handle, index: u32) -> Result<Vec<Ipv4Net>> {
    let mut out = Vec::new();
    let mut msgs = h.address().get().set_link_index_filter(index).execute();
    while let Some(msg) = msgs
        .try_next()
        .await
        .map_err(nl_err(format!("listing addresses of link {index}")))?
    {
        if msg.header.family != AddressFamily::Inet {
            continue;
        }
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS only differs on point-to-point.
        let local = msg.attributes.iter().find_map(|a| match a {
            AddressAttribute::Local(std::net::IpAddr::V4(ip)) => Some(*ip),
            _ => None,
        });
        let addr = local.or_else(|| {
            msg.attributes.iter().find_map(|a| match a {
                AddressAttribute::Address(std::net::IpAddr::V4(ip)) => Some(*ip),
                _ => None,
            })
        });
        if let Some(ip) = addr
            && let Ok(net) = Ipv4Net::new(ip, msg.header.prefix_len)
        {
            out.push(net);
        }
    }
    Ok(out)
}

/// The destinations of the main table's IPv4 unicast routes, default routes left out.
async fn ipv4_route_destinations(h: &Handle) -> Result<Vec<Ipv4Net>> {
    let mut out = Vec::new();
    let query = RouteMessageBuilder::<Ipv4Addr>::new().build();
    let mut routes = h.route().get(query).execute();
    while let Some(r) = routes
        .try_next()
        .await
        .map_err(nl_err("listing ipv4 routes"))?
    {
        let table = r
            .attributes
            .iter()
            .find_map(|a| match a {
                RouteAttribute::Table(t) => Some(*t),
                _ => None,
            })
            .unwrap_or(u32::from(r.header.table));
        if table != u32::from(RouteHeader::RT_TABLE_MAIN)
            || r.header.kind != RouteType::Unicast
            || r.header.destination_prefix_length == 0
        {
            continue;
        }
        let dst = r.attributes.iter().find_map(|a| match a {
            RouteAttribute::Destination(RouteAddress::Inet(ip)) => Some(*ip),
            _ => None,
        });
        if let Some(ip) = dst
            && let Ok(net) = Ipv4Net::new(ip, r.header.destination_prefix_length)
        {
            out.push(net.trunc());
        }
    }
    Ok(out)
}

/// Adds `net` to link `index`; an address that is already there is fine.
async fn add_ipv4(h: &Handle, index: u32, net: Ipv4Net, what: &str) -> Result<()> {
    h.address()
        .add(index, net.addr().into(), net.prefix_len())
        .replace()
        .execute()
        .await
        .map_err(nl_err(format!("adding address {net} to {what}")))
}

/// Sets link `index` up.
async fn set_up(h: &Handle, index: u32, what: &str) -> Result<()> {
    h.link()
        .change(LinkUnspec::new_with_index(index).up().build())
        .execute()
        .await
        .map_err(nl_err(format!("setting {what} up")))
}

/// Deletes link `name`; returns false if it did not exist.
async fn delete_link(h: &Handle, name: &str) -> Result<bool> {
    let Some(index) = link_index(h, name).await? else {
        return Ok(false);
    };
    match h.link().del(index).execute().await {
        Ok(()) => Ok(true),
        // It went away in between, for instance with its namespace.
        Err(e) if errno(&e) == Some(nix::libc::ENODEV) => Ok(false),
        Err(e) => Err(nl_err(format!("deleting link {name}"))(e)),
    }
}

/// Creates the bridge with `mtu` and `mac`; returns its index.
async fn create_bridge(h: &Handle, name: &str, mtu: u32, mac: MacAddr) -> Result<u32> {
    let msg = LinkBridge::new(name)
        .mtu(mtu)
        .address(mac.0.to_vec())
        .build();
    h.link()
        .add(msg)
        .execute()
        .await
        .map_err(nl_err(format!("creating bridge {name}")))?;
    link_index(h, name)
        .await?
        .ok_or_else(|| Error::NotFound(format!("bridge {name} not found after creating it")))
}

/// Creates the veth pair in one request, the host side up on the bridge and the peer directly
/// inside the container's namespace as `eth0` with its MAC and MTU (creating it there is much
/// cheaper than moving it: a move re-registers the device).
async fn create_veth(h: &Handle, bridge_index: u32, ep: &Endpoint, ns: &File) -> Result<()> {
    let host = &ep.host_veth;
    let ifname = &ep.ifname;
    let peer = LinkMessageBuilder::<LinkUnspec>::new()
        .name(ifname)
        .mtu(ep.mtu)
        .address(ep.mac.0.to_vec())
        .setns_by_fd(ns.as_raw_fd())
        .build();
    let pair = LinkVeth::new(host, ifname)
        .mtu(ep.mtu)
        .controller(bridge_index)
        .up()
        .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
        .build();
    h.link().add(pair).execute().await.map_err(|e| {
        if errno(&e) == Some(nix::libc::EEXIST) {
            Error::Conflict(format!(
                "network namespace {} already has an {ifname}",
                ep.netns.display()
            ))
        } else {
            nl_err(format!("creating veth pair {host}"))(e)
        }
    })
}

/// Lets the bridge send a frame back out of the port it came in on, so a container reaches its
/// own published ports through the host's addresses (the DNAT target is the sender itself).
async fn set_hairpin(h: &Handle, host: &str) -> Result<()> {
    let index = link_index(h, host)
        .await?
        .ok_or_else(|| Error::NotFound(format!("link {host} not found after creating it")))?;
    h.link()
        .set_port(LinkBridgePort::new(index).hairpin(true).build())
        .execute()
        .await
        .map_err(nl_err(format!("setting hairpin mode on {host}")))
}

/// Inside the container's namespace: its interface with its address and up, `lo` up, and the
/// default route through the bridge if this endpoint gives it.
async fn configure_inside(c: &Handle, ep: &Endpoint) -> Result<()> {
    let ns = ep.netns.display();
    let ifname = &ep.ifname;
    let index = inside_index(c, ep).await?;
    let what = format!("{ifname} in {ns}");
    add_ipv4(c, index, ep.ip_net(), &what).await?;
    set_up(c, index, &what).await?;
    if let Some(lo) = link_index(c, "lo").await? {
        set_up(c, lo, &format!("lo in {ns}")).await?;
    }
    if ep.default_route {
        default_route(c, ep).await?;
    }
    Ok(())
}

/// The index of the endpoint's interface inside the container's namespace.
async fn inside_index(c: &Handle, ep: &Endpoint) -> Result<u32> {
    link_index(c, &ep.ifname).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "link {} not found in network namespace {}",
            ep.ifname,
            ep.netns.display()
        ))
    })
}

/// Inside the container's namespace: the default route through the endpoint's gateway.
async fn default_route(c: &Handle, ep: &Endpoint) -> Result<()> {
    let index = inside_index(c, ep).await?;
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
            "adding the default route via {} in {}",
            ep.gateway,
            ep.netns.display()
        )))
}

//! Small rtnetlink helpers used by the bridge and endpoint code. Every request goes to the
//! network namespace the handle's socket was opened in.

use std::net::Ipv4Addr;

use futures::TryStreamExt;
use ipnet::Ipv4Net;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkInfo};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteHeader, RouteType};
use rtnetlink::{Handle, LinkUnspec, RouteMessageBuilder};

use crate::error::{Error, Result};

/// Turns a netlink failure into [`Error::System`], with the errno text when there is one.
pub(crate) fn nl_err(context: impl std::fmt::Display) -> impl FnOnce(rtnetlink::Error) -> Error {
    move |e| match e {
        rtnetlink::Error::NetlinkError(m) => Error::system(context, m.to_io()),
        other => Error::system(context, other),
    }
}

/// The errno of a netlink error reply, if it is one.
pub(crate) fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => Some(-m.raw_code()),
        _ => None,
    }
}

/// Opens a netlink socket in the calling thread's network namespace, driven by a thread of its
/// own, so the handle works from any runtime (the driver may outlive the runtime that created
/// it). The thread ends when the last handle is dropped.
pub(crate) async fn connect_pinned() -> Result<Handle> {
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
pub(crate) async fn link_index(h: &Handle, name: &str) -> Result<Option<u32>> {
    match h.link().get().match_name(name).execute().try_next().await {
        Ok(Some(msg)) => Ok(Some(msg.header.index)),
        Ok(None) => Ok(None),
        Err(e) if errno(&e) == Some(nix::libc::ENODEV) => Ok(None),
        Err(e) => Err(nl_err(format!("looking up link {name}"))(e)),
    }
}

/// Whether link `index` is a bridge.
pub(crate) async fn is_bridge(h: &Handle, index: u32) -> Result<bool> {
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
pub(crate) async fn ipv4_addrs(h: &Handle, index: u32) -> Result<Vec<Ipv4Net>> {
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
pub(crate) async fn ipv4_route_destinations(h: &Handle) -> Result<Vec<Ipv4Net>> {
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
pub(crate) async fn add_ipv4(h: &Handle, index: u32, net: Ipv4Net, what: &str) -> Result<()> {
    h.address()
        .add(index, net.addr().into(), net.prefix_len())
        .replace()
        .execute()
        .await
        .map_err(nl_err(format!("adding address {net} to {what}")))
}

/// Sets link `index` up.
pub(crate) async fn set_up(h: &Handle, index: u32, what: &str) -> Result<()> {
    h.link()
        .change(LinkUnspec::new_with_index(index).up().build())
        .execute()
        .await
        .map_err(nl_err(format!("setting {what} up")))
}

/// Deletes link `name`; returns false if it did not exist.
pub(crate) async fn delete_link(h: &Handle, name: &str) -> Result<bool> {
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

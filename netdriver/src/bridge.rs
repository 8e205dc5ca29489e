//! Finding or creating the bridge at start-up, in the calling thread's network namespace.

use std::net::IpAddr;

use ipnet::Ipv4Net;
use rtnetlink::{Handle, LinkBridge};

use crate::config::{Bridge, Config};
use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::{self, nl_err};
use crate::subnet;

/// The bridge as start-up left it.
#[derive(Debug, Clone)]
pub(crate) struct BridgeState {
    /// Interface name.
    pub(crate) name: String,
    /// Interface index.
    pub(crate) index: u32,
    /// The bridge's own address with the subnet's prefix (the containers' gateway).
    pub(crate) address: Ipv4Net,
    /// Whether this start-up created it.
    pub(crate) created: bool,
}

/// Checks `--bip` on its own: an address of a subnet with room for containers.
pub(crate) fn validate_bip(bip: &Ipv4Net) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::InvalidParameter(format!(
            "invalid --bip {bip}: {why}"
        )))
    };
    if bip.prefix_len() > 30 {
        return bad("the subnet has no room for containers");
    }
    if bip.addr() == bip.network() || bip.addr() == bip.broadcast() {
        return bad("give the bridge's own address, such as the subnet's first host");
    }
    Ok(())
}

/// Finds the configured bridge or creates `docker0`, gives it an address and sets it up.
pub(crate) async fn ensure(
    h: &Handle,
    config: &Config,
    nameservers: &[IpAddr],
) -> Result<BridgeState> {
    let (name, named) = match &config.bridge {
        Bridge::None => {
            return Err(Error::InvalidParameter(
                "bridge none has no interface to set up".into(),
            ));
        }
        Bridge::Default => (crate::config::DEFAULT_BRIDGE.to_string(), false),
        Bridge::Named(n) => (n.clone(), true),
    };
    if let Some(bip) = &config.bip {
        if named {
            return Err(Error::InvalidParameter(
                "-b and --bip are mutually exclusive: specify only one".into(),
            ));
        }
        validate_bip(bip)?;
    }

    let (index, address, created) = match netlink::link_index(h, &name).await? {
        Some(index) if !netlink::is_bridge(h, index).await? => {
            return Err(Error::InvalidParameter(format!(
                "link {name} is not a bridge"
            )));
        }
        Some(index) => (
            index,
            existing_address(h, index, &name, config.bip, nameservers).await?,
            false,
        ),
        None if named => return Err(Error::NotFound(format!("bridge {name} not found"))),
        None => {
            let address = match config.bip {
                Some(b) => b,
                None => choose(h, nameservers, &name).await?,
            };
            let index = create(h, &name, config.mtu, address).await?;
            netlink::add_ipv4(h, index, address, &format!("bridge {name}")).await?;
            (index, address, true)
        }
    };
    netlink::set_up(h, index, &format!("bridge {name}")).await?;
    Ok(BridgeState {
        name,
        index,
        address,
        created,
    })
}

/// The address of a bridge that exists: its own (which `--bip` must match), or one it is given.
async fn existing_address(
    h: &Handle,
    index: u32,
    name: &str,
    bip: Option<Ipv4Net>,
    nameservers: &[IpAddr],
) -> Result<Ipv4Net> {
    let existing = netlink::ipv4_addrs(h, index).await?;
    match (existing.first(), bip) {
        (Some(have), Some(bip)) if !existing.contains(&bip) => Err(Error::InvalidParameter(
            format!("bridge ip ({have}) does not match existing bridge configuration {bip}"),
        )),
        (Some(_), Some(bip)) => Ok(bip),
        (Some(have), None) => Ok(*have),
        (None, bip) => {
            let address = match bip {
                Some(b) => b,
                None => choose(h, nameservers, name).await?,
            };
            netlink::add_ipv4(h, index, address, &format!("bridge {name}")).await?;
            Ok(address)
        }
    }
}

/// `--bip` or the first free default pool, for a bridge about to get an address.
async fn choose(h: &Handle, nameservers: &[IpAddr], name: &str) -> Result<Ipv4Net> {
    let routes = netlink::ipv4_route_destinations(h).await?;
    match subnet::first_free(&routes, nameservers) {
        Some(net) => Ok(subnet::gateway_of(&net)),
        None => Err(Error::Exhausted(format!(
            "could not find an available, non-overlapping ipv4 address pool among the defaults \
             to assign to bridge {name}"
        ))),
    }
}

/// Creates the bridge with a MAC derived from its address: a bridge otherwise takes the MAC of
/// its lowest-numbered port, which changes as containers come and go.
async fn create(h: &Handle, name: &str, mtu: u32, address: Ipv4Net) -> Result<u32> {
    let mac = MacAddr::from_ipv4(address.addr());
    let msg = LinkBridge::new(name)
        .mtu(mtu)
        .address(mac.0.to_vec())
        .build();
    h.link()
        .add(msg)
        .execute()
        .await
        .map_err(nl_err(format!("creating bridge {name}")))?;
    netlink::link_index(h, name)
        .await?
        .ok_or_else(|| Error::NotFound(format!("bridge {name} not found after creating it")))
}

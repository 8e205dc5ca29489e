//! Finding or creating the bridge at start-up, in the calling thread's network namespace.

use std::net::IpAddr;

use ipnet::Ipv4Net;

use crate::config::{Bridge, Config};
use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::Netlink;
use crate::subnet::{self, AddressPool};

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
    net: &dyn Netlink,
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

    let (index, address, created) = match net.link_index(&name).await? {
        Some(index) if !net.is_bridge(index).await? => {
            return Err(Error::InvalidParameter(format!(
                "link {name} is not a bridge"
            )));
        }
        Some(index) => (
            index,
            existing_address(net, index, &name, config, nameservers).await?,
            false,
        ),
        None if named => return Err(Error::NotFound(format!("bridge {name} not found"))),
        None => {
            let address = match config.bip {
                Some(b) => b,
                None => choose(net, &config.address_pools, nameservers, &name).await?,
            };
            // A MAC derived from the address: a bridge otherwise takes the MAC of its
            // lowest-numbered port, which changes as containers come and go.
            let mac = MacAddr::from_ipv4(address.addr());
            let index = net.create_bridge(&name, config.mtu, mac).await?;
            net.add_ipv4(index, address, &format!("bridge {name}"))
                .await?;
            (index, address, true)
        }
    };
    net.set_up(index, &format!("bridge {name}")).await?;
    Ok(BridgeState {
        name,
        index,
        address,
        created,
    })
}

/// The address of a bridge that exists: its own (which `--bip` must match), or one it is given.
async fn existing_address(
    net: &dyn Netlink,
    index: u32,
    name: &str,
    config: &Config,
    nameservers: &[IpAddr],
) -> Result<Ipv4Net> {
    let bip = config.bip;
    let existing = net.ipv4_addrs(index).await?;
    match (existing.first(), bip) {
        (Some(have), Some(bip)) if !existing.contains(&bip) => Err(Error::InvalidParameter(
            format!("bridge ip ({have}) does not match existing bridge configuration {bip}"),
        )),
        (Some(_), Some(bip)) => Ok(bip),
        (Some(have), None) => Ok(*have),
        (None, bip) => {
            let address = match bip {
                Some(b) => b,
                None => choose(net, &config.address_pools, nameservers, name).await?,
            };
            net.add_ipv4(index, address, &format!("bridge {name}"))
                .await?;
            Ok(address)
        }
    }
}

/// The first free subnet of the address pools, for a bridge about to get an address.
async fn choose(
    net: &dyn Netlink,
    pools: &[AddressPool],
    nameservers: &[IpAddr],
    name: &str,
) -> Result<Ipv4Net> {
    let routes = net.ipv4_route_destinations().await?;
    match subnet::first_free(pools, &routes, nameservers) {
        Some(net) => Ok(subnet::gateway_of(&net)),
        None => Err(Error::Exhausted(format!(
            "could not find an available, non-overlapping ipv4 address pool among the defaults \
             to assign to bridge {name}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::fake::{FakeNetlink, Link, Op};

    fn net(s: &str) -> Ipv4Net {
        s.parse().expect("cidr")
    }

    fn config() -> Config {
        Config::new("/nonexistent")
    }

    #[tokio::test]
    async fn docker0_is_created_on_the_first_pool_no_route_or_nameserver_overlaps() {
        let fake = FakeNetlink::default();
        fake.world().routes = vec![net("172.17.0.0/16")];
        let dns = [IpAddr::from([172, 18, 0, 53])];
        let b = ensure(&fake, &config(), &dns).await.expect("bridge");
        assert_eq!(
            (b.name.as_str(), b.address, b.created),
            ("docker0", net("172.19.0.1/16"), true)
        );
        let world = fake.world();
        let link = &world.links["docker0"];
        assert_eq!(link.index, b.index);
        assert!(link.bridge && link.up);
        assert_eq!(link.addrs, [b.address]);
        assert_eq!(
            (link.mtu, link.mac),
            (1500, Some(MacAddr::from_ipv4(b.address.addr())))
        );
    }

    #[tokio::test]
    async fn an_existing_bridge_keeps_its_address_and_bip_must_match_it() {
        let fake = FakeNetlink::default();
        let have = net("10.1.0.1/24");
        let bridge = Link {
            bridge: true,
            addrs: vec![have],
            ..Link::default()
        };
        fake.world().add_link("docker0", bridge);
        let b = ensure(&fake, &config(), &[]).await.expect("bridge");
        assert_eq!((b.address, b.created), (have, false));
        assert!(fake.world().links["docker0"].up);
        let mut c = config();
        c.bip = Some(net("10.2.0.1/24"));
        let e = ensure(&fake, &c, &[]).await.expect_err("other --bip");
        assert_eq!(
            e.to_string(),
            "bridge ip (10.1.0.1/24) does not match existing bridge configuration 10.2.0.1/24"
        );
        c.bip = Some(have);
        assert_eq!(
            ensure(&fake, &c, &[]).await.expect("same --bip").address,
            have
        );
    }

    #[tokio::test]
    async fn an_existing_bridge_without_an_address_gets_one() {
        let fake = FakeNetlink::default();
        let bridge = Link {
            bridge: true,
            ..Link::default()
        };
        fake.world().add_link("docker0", bridge);
        let b = ensure(&fake, &config(), &[]).await.expect("bridge");
        assert_eq!((b.address, b.created), (net("172.17.0.1/16"), false));
        assert_eq!(fake.world().links["docker0"].addrs, [b.address]);
    }

    #[tokio::test]
    async fn named_bridges_must_exist_and_be_bridges() {
        let fake = FakeNetlink::default();
        let mut c = config();
        c.bridge = Bridge::Named("br0".into());
        let e = ensure(&fake, &c, &[]).await.expect_err("missing");
        assert!(matches!(e, Error::NotFound(_)), "{e}");
        fake.world().add_link("br0", Link::default());
        let e = ensure(&fake, &c, &[]).await.expect_err("not a bridge");
        assert_eq!(e.to_string(), "link br0 is not a bridge");
        c.bip = Some(net("10.1.0.1/24"));
        let e = ensure(&fake, &c, &[]).await.expect_err("-b with --bip");
        assert!(matches!(e, Error::InvalidParameter(_)), "{e}");
        assert!(fake.world().links.len() == 1, "nothing created");
    }

    #[tokio::test]
    async fn no_free_pool_is_exhaustion_and_creates_nothing() {
        let fake = FakeNetlink::default();
        fake.world().routes = vec![net("128.0.0.0/1"), net("0.0.0.0/1")];
        let e = ensure(&fake, &config(), &[]).await.expect_err("no pool");
        assert!(matches!(e, Error::Exhausted(_)), "{e}");
        assert!(fake.world().links.is_empty());
    }

    #[tokio::test]
    async fn a_failing_step_is_reported() {
        let fake = FakeNetlink::default();
        fake.fail(Op::SetUp);
        assert!(ensure(&fake, &config(), &[]).await.is_err());
        fake.heal(Op::SetUp);
        // The next start finds the bridge it made and finishes the job.
        let b = ensure(&fake, &config(), &[]).await.expect("bridge");
        assert!(!b.created && fake.world().links["docker0"].up);
    }
}

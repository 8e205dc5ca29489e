//! The driver's bridge and endpoint logic over the in-memory netlink fake: what is created,
//! what is allocated, what is released when a step fails, and what a restart finds. No root, no
//! namespace, no `nft` (these start after the sysctls and before the firewall).

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;

use super::*;
use crate::netlink::fake::{FakeNetlink, Op};

const BRIDGE: &str = "docker0";

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 9, 0, last)
}

/// A driver's surroundings: a fake namespace, a state directory, files standing in for
/// containers' namespaces.
struct Host {
    net: Arc<FakeNetlink>,
    dir: tempfile::TempDir,
}

impl Host {
    fn new() -> Host {
        Host {
            net: Arc::new(FakeNetlink::default()),
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A driver as `init` makes it, on `--bip 10.9.0.1/24`; a second call is a restart.
    async fn start(&self) -> NetDriver {
        let mut config = Config::new(self.dir.path().join("network"));
        config.bip = Some("10.9.0.1/24".parse().expect("cidr"));
        let bridge = bridge::ensure(&*self.net, &config, &[])
            .await
            .expect("bridge");
        let net: Arc<dyn Netlink> = self.net.clone();
        NetDriver::start(config, net, bridge, ResolvConf::default())
            .await
            .expect("driver starts")
    }

    /// A container's network namespace (any file opens).
    fn netns(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, b"").expect("netns file");
        p
    }

    fn veths(&self) -> Vec<String> {
        let world = self.net.world();
        world.veths().into_iter().map(str::to_owned).collect()
    }
}

async fn attach(d: &NetDriver, h: &Host, id: &str) -> Result<Endpoint> {
    d.attach(id, &h.netns(id), None).await
}

/// Detaches `ep` and waits until its veth is deleted (or failed to be).
async fn detach(d: &NetDriver, ep: &Endpoint, what: &str) {
    d.detach(ep).await.expect(what);
    d.settle().await;
}

#[tokio::test]
async fn attach_allocates_in_order_and_plumbs_the_veth_into_the_bridge() {
    let h = Host::new();
    let d = h.start().await;
    let a = attach(&d, &h, "a").await.expect("attach a");
    let b = attach(&d, &h, "b").await.expect("attach b");
    assert_eq!((a.ip, b.ip), (ip(2), ip(3)));
    assert_eq!((a.gateway, a.prefix_len, a.mtu), (ip(1), 24, 1500));
    assert_eq!(a.mac, MacAddr::from_ipv4(ip(2)));
    assert_eq!(a.host_veth, endpoint::host_veth_name("a", 0));
    {
        let world = h.net.world();
        let bridge = &world.links[BRIDGE];
        assert!(bridge.bridge && bridge.up);
        assert_eq!(
            bridge.addrs,
            ["10.9.0.1/24".parse::<Ipv4Net>().expect("cidr")]
        );
        let veth = &world.links[&a.host_veth];
        assert_eq!(veth.controller, Some(bridge.index));
        assert!(veth.up && veth.hairpin);
        assert_eq!(
            veth.peer_netns.as_deref(),
            Some(h.dir.path().join("a").as_path())
        );
        assert_eq!(veth.peer_config, Some((a.ip_net(), ip(1))));
    }
    assert_eq!(d.endpoint("b"), Some(b));
    let again = attach(&d, &h, "a").await.expect_err("second attach");
    assert!(matches!(again, Error::Conflict(_)), "{again}");
    assert_eq!(h.veths().len(), 2);
}

#[tokio::test]
async fn a_failed_plumb_removes_the_veth_and_releases_the_address() {
    let h = Host::new();
    let d = h.start().await;
    for op in [Op::ConfigureInside, Op::Hairpin] {
        h.net.fail(op);
        assert!(attach(&d, &h, "a").await.is_err(), "{op:?}");
        h.net.heal(op);
        assert!(
            h.veths().is_empty(),
            "{op:?}: the half-made pair is deleted"
        );
        assert!(d.endpoints().is_empty(), "{op:?}");
    }
    h.net.fail(Op::CreateVeth);
    assert!(attach(&d, &h, "a").await.is_err());
    h.net.heal(Op::CreateVeth);
    // Every address tried is free again, and the record says so after a restart too.
    let ep = d
        .attach("a", &h.netns("a"), Some(ip(2)))
        .await
        .expect("attach");
    assert_eq!(ep.ip, ip(2));
    drop(d);
    let d = h.start().await;
    assert_eq!(d.endpoints(), [ep]);
}

#[tokio::test]
async fn a_namespace_with_an_eth0_is_a_conflict_that_leaves_nothing() {
    let h = Host::new();
    let d = h.start().await;
    let a = attach(&d, &h, "a").await.expect("attach a");
    let e = d
        .attach("b", &a.netns, None)
        .await
        .expect_err("the namespace has an eth0");
    assert!(matches!(e, Error::Conflict(_)), "{e}");
    assert_eq!(h.veths(), std::slice::from_ref(&a.host_veth));
    assert_eq!(d.endpoints(), [a]);
    let missing = d.attach("c", &h.dir.path().join("gone"), None).await;
    assert!(matches!(missing, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn detach_deletes_the_veth_then_frees_the_address() {
    let h = Host::new();
    let d = h.start().await;
    let a = attach(&d, &h, "a").await.expect("attach");
    detach(&d, &a, "detach").await;
    assert!(h.veths().is_empty());
    assert_eq!(d.endpoint("a"), None);
    let again = d.attach("b", &h.netns("b"), Some(a.ip)).await;
    assert_eq!(again.expect("address free again").ip, a.ip);
    // Detaching what is already gone succeeds.
    d.detach(&a).await.expect("second detach");
}

#[tokio::test]
async fn a_veth_that_would_not_go_keeps_its_address_until_a_restart_removes_it() {
    let h = Host::new();
    let d = h.start().await;
    let a = attach(&d, &h, "a").await.expect("attach");
    h.net.fail(Op::DeleteLink);
    detach(&d, &a, "detach").await;
    assert_eq!(h.veths(), std::slice::from_ref(&a.host_veth));
    let taken = d.attach("b", &h.netns("b"), Some(a.ip)).await;
    assert!(matches!(taken, Err(Error::Conflict(_))), "{taken:?}");
    drop(d);
    h.net.heal(Op::DeleteLink);
    let d = h.start().await;
    assert!(h.veths().is_empty(), "the restart finished the retirement");
    let b = d.attach("b", &h.netns("b"), Some(a.ip)).await;
    assert_eq!(b.expect("address free after the restart").ip, a.ip);
}

#[tokio::test]
async fn a_restart_keeps_endpoints_and_hands_out_no_address_in_use() {
    let h = Host::new();
    let d = h.start().await;
    let a = attach(&d, &h, "a").await.expect("attach a");
    let b = attach(&d, &h, "b").await.expect("attach b");
    d.shutdown().await.expect("shutdown");
    let d = h.start().await;
    assert_eq!(d.endpoints(), [a.clone(), b.clone()]);
    assert_eq!(
        h.veths().len(),
        2,
        "the veths live on with their namespaces"
    );
    let c = attach(&d, &h, "c").await.expect("attach c");
    assert_eq!(c.ip, ip(4));
    // The bridge was found, not created again; its address is unchanged.
    assert_eq!(h.net.world().links.len(), 4);
    assert_eq!(d.gateway(), ip(1));
}

#[tokio::test]
async fn a_stale_detach_leaves_a_newer_endpoints_veth_alone() {
    let h = Host::new();
    let d = h.start().await;
    let old = attach(&d, &h, "a").await.expect("attach");
    detach(&d, &old, "detach").await;
    let new = attach(&d, &h, "a").await.expect("attach again");
    assert_eq!(new.host_veth, old.host_veth);
    detach(&d, &old, "stale detach").await;
    assert_eq!(h.veths(), std::slice::from_ref(&new.host_veth));
    assert_eq!(d.endpoint("a"), Some(new));
}

#[tokio::test]
async fn a_leftover_link_of_the_same_name_is_replaced() {
    let h = Host::new();
    let d = h.start().await;
    let name = endpoint::host_veth_name("a", 0);
    h.net.world().add_link(&name, Default::default());
    let a = attach(&d, &h, "a").await.expect("attach");
    assert_eq!(a.host_veth, name);
    assert!(h.net.world().links[&name].peer_netns.is_some());
}

#[tokio::test]
async fn host_veth_names_skip_those_of_other_endpoints() {
    let h = Host::new();
    let d = h.start().await;
    let a = attach(&d, &h, "a").await.expect("attach");
    // An endpoint recorded under another container with the name "a" would get.
    let mut other = a.clone();
    other.container_id = "z".into();
    other.id = "0".repeat(64);
    other.ip = ip(9);
    other.netns = h.netns("z");
    d.lock().bridge.endpoints.remove("a");
    d.lock().bridge.endpoints.insert("z".into(), other);
    let again = d.attach("a", &h.netns("a2"), None).await;
    assert_eq!(
        again.expect("attach").host_veth,
        endpoint::host_veth_name("a", 1)
    );
}

impl Host {
    /// A driver with one user network `n` on 10.77.0.0/24.
    async fn start_with_network(&self) -> (NetDriver, crate::usernet::NetworkConfig) {
        let d = self.start().await;
        let n = d
            .create_network(spec("n", "10.77.0.0/24"))
            .await
            .expect("n");
        (d, n)
    }
}

fn spec(name: &str, subnet: &str) -> crate::usernet::NetworkSpec {
    crate::usernet::NetworkSpec {
        name: name.into(),
        ipam: if subnet.is_empty() {
            vec![]
        } else {
            vec![crate::usernet::IpamRequest {
                subnet: subnet.into(),
                ..Default::default()
            }]
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn user_networks_get_their_own_bridge_and_the_next_free_pool() {
    let h = Host::new();
    h.net.world().routes = vec!["172.17.0.0/16".parse().expect("cidr")];
    let d = h.start().await;
    let a = d.create_network(spec("a", "")).await.expect("a");
    let b = d.create_network(spec("b", "")).await.expect("b");
    assert_eq!(a.subnet.to_string(), "172.18.0.0/16");
    assert_eq!(a.gateway, Ipv4Addr::new(172, 18, 0, 1));
    assert_eq!(b.subnet.to_string(), "172.19.0.0/16", "a's pool is taken");
    assert_eq!(a.bridge, format!("br-{}", &a.id[..12]));
    {
        let world = h.net.world();
        let link = &world.links[&a.bridge];
        assert!(link.bridge && link.up);
        assert_eq!(
            link.addrs,
            ["172.18.0.1/16".parse::<Ipv4Net>().expect("cidr")]
        );
    }
    let dup = d
        .create_network(spec("a", ""))
        .await
        .expect_err("same name");
    assert_eq!(dup.to_string(), "network with name a already exists");
    let overlap = d
        .create_network(spec("c", "172.18.5.0/24"))
        .await
        .expect_err("overlaps a");
    assert!(matches!(overlap, Error::Forbidden(_)), "{overlap}");
    let own = d
        .create_network(spec("c", "10.9.0.0/16"))
        .await
        .expect_err("overlaps the default bridge");
    assert_eq!(
        own.to_string(),
        "Pool overlaps with other one on this address space"
    );
    let c = d
        .create_network(spec("c", "10.77.0.0/24"))
        .await
        .expect("c");
    assert_eq!(c.gateway, Ipv4Addr::new(10, 77, 0, 1));
    assert_eq!(d.user_networks().len(), 3);
}

#[tokio::test]
async fn a_container_on_two_networks_gets_one_interface_each_and_one_default_route() {
    let h = Host::new();
    let (d, n) = h.start_with_network().await;
    let ns = h.netns("a");
    let first = d.attach("a", &ns, None).await.expect("bridge");
    let opts = AttachOptions {
        ifname: "eth1".into(),
        ..AttachOptions::default()
    };
    let second = d.attach_to(&n.id, "a", &ns, &opts).await.expect("n");
    assert_eq!(
        (second.ip, second.ifname.as_str()),
        (Ipv4Addr::new(10, 77, 0, 2), "eth1")
    );
    assert!(first.default_route && !second.default_route);
    d.set_default_route(&second).await.expect("route via n");
    {
        let world = h.net.world();
        assert!(!world.links[&first.host_veth].peer_default_route);
        assert!(world.links[&second.host_veth].peer_default_route);
        assert_eq!(
            world.links[&second.host_veth].controller,
            Some(world.links[&n.bridge].index)
        );
    }
    assert_eq!(d.container_endpoints("a"), [first.clone(), second.clone()]);
    let busy = d.remove_network(&n.id).await.expect_err("endpoints");
    assert_eq!(
        busy.to_string(),
        format!(
            "error while removing network: network n id {} has active endpoints",
            n.id
        )
    );
    let again = d
        .attach_to(&n.id, "a", &ns, &opts)
        .await
        .expect_err("twice");
    assert!(matches!(again, Error::Conflict(_)), "{again}");
    detach(&d, &second, "detach from n").await;
    d.remove_network(&n.id).await.expect("empty now");
    assert!(
        !h.net.world().links.contains_key(&n.bridge),
        "the bridge went"
    );
    assert!(d.user_networks().is_empty());
    let gone = d.attach_to(&n.id, "b", &h.netns("b"), &opts).await;
    assert!(matches!(gone, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn user_networks_and_their_endpoints_survive_a_restart_even_without_their_bridge() {
    let h = Host::new();
    let (d, n) = h.start_with_network().await;
    let ep = d
        .attach_to(&n.id, "a", &h.netns("a"), &AttachOptions::default())
        .await
        .expect("attach");
    drop(d);
    // A reboot: the bridge is gone, the state files are not.
    h.net.world().links.remove(&n.bridge);
    let d = h.start().await;
    assert!(h.net.world().links[&n.bridge].up, "made again");
    let nets = d.user_networks();
    assert_eq!(nets.len(), 1);
    assert_eq!((&nets[0].0, &nets[0].1), (&n, &vec![ep.clone()]));
    let next = d
        .attach_to(&n.id, "b", &h.netns("b"), &AttachOptions::default())
        .await
        .expect("attach b");
    assert_ne!(next.ip, ep.ip, "the restored address is still taken");
}

#[tokio::test]
async fn an_internal_network_gives_no_default_route() {
    let h = Host::new();
    let d = h.start().await;
    let mut s = spec("i", "10.78.0.0/24");
    s.internal = true;
    let n = d.create_network(s).await.expect("i");
    let opts = AttachOptions {
        default_route: true,
        ..AttachOptions::default()
    };
    let ep = d
        .attach_to(&n.id, "a", &h.netns("a"), &opts)
        .await
        .expect("attach");
    assert!(!ep.default_route);
}

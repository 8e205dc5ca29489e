//! Privileged: published ports, reached from the daemon namespace's loopback, from another
//! "host" behind a veth, and from a container on the bridge.

use crate::common;

use std::net::{SocketAddr, TcpListener};

use common::{
    EchoServer, Fixture, HostSnapshot, block_in, exchange_from, exchange_here, udp_echo_once,
    udp_exchange_from,
};
use netdriver::{EPHEMERAL_PORTS, Error, NetDriver, Protocol};
use testkit::NetNs;

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("literal")
}

#[test]
#[ignore = "privileged"]
fn published_port_reaches_the_container() {
    testkit::require_privileged();
    let host = HostSnapshot::take();
    let fx = Fixture::new("nd-port", "192.0.2.53");
    let web = NetNs::new("nd-port-web").expect("web");
    let peer = NetNs::new("nd-port-peer").expect("peer");
    let ext = NetNs::new("nd-port-ext").expect("ext");
    // "Another host": a veth from the daemon namespace to `ext`, 10.99.0.1 <-> 10.99.0.2.
    fx.ip(&[
        "link",
        "add",
        "wx0",
        "type",
        "veth",
        "peer",
        "name",
        "wx1",
        "netns",
        ext.name(),
    ]);
    fx.ip(&["addr", "add", "10.99.0.1/30", "dev", "wx0"]);
    fx.ip(&["link", "set", "wx0", "up"]);
    ext.run("ip", &["addr", "add", "10.99.0.2/30", "dev", "wx1"])
        .expect("ext addr");
    ext.run("ip", &["link", "set", "wx1", "up"])
        .expect("ext up");
    ext.run("ip", &["route", "add", "default", "via", "10.99.0.1"])
        .expect("ext route");

    let (pw, pp) = (web.path(), peer.path());
    let config = fx.config();
    let (d, ep, eph) = block_in(&fx.path(), move || async move {
        let d = NetDriver::init(config)
            .await
            .expect("init")
            .expect("bridge");
        let ep = d.attach("web", &pw, None).await.expect("attach web");
        d.attach("peer", &pp, None).await.expect("attach peer");
        let b = d
            .publish("web", None, 8080, 80, Protocol::Tcp)
            .await
            .expect("publish 8080");
        assert_eq!((b.host_port, b.container_port), (8080, 80));
        assert_eq!(b.container_ip, ep.ip);
        let eph = d
            .publish("web", None, 0, 80, Protocol::Tcp)
            .await
            .expect("ephemeral");
        (d, ep, eph)
    });
    assert!(EPHEMERAL_PORTS.contains(&eph.host_port), "{eph:?}");
    let server = EchoServer::start(&web.path(), 80, "web");

    let (d, local, refused) = block_in(&fx.path(), move || async move {
        // From the daemon namespace's own loopback (DNAT in output + route_localnet).
        let local = exchange_here(addr("127.0.0.1:8080"), "lo").expect("127.0.0.1:8080");
        let eph_local = exchange_here(SocketAddr::from(([127, 0, 0, 1], eph.host_port)), "eph")
            .expect("ephemeral port on loopback");
        assert_eq!(eph_local, "web:eph");

        // Taken ports are refused: by a binding, or by a process of the namespace.
        let again = d
            .publish("peer", None, 8080, 80, Protocol::Tcp)
            .await
            .expect_err("8080 is published");
        let squatter = TcpListener::bind("0.0.0.0:9090").expect("a process takes 9090");
        let busy = d
            .publish("peer", None, 9090, 80, Protocol::Tcp)
            .await
            .expect_err("9090 is bound");
        drop(squatter);
        let elsewhere = "10.123.0.1".parse().expect("literal");
        let not_local = d
            .publish("peer", Some(elsewhere), 7070, 80, Protocol::Tcp)
            .await
            .expect_err("not a local address");
        assert!(
            matches!(not_local, Error::InvalidParameter(_)),
            "{not_local:?}"
        );
        // A published port cannot be taken by a process either.
        assert!(TcpListener::bind("0.0.0.0:8080").is_err());
        (d, local, vec![again, busy])
    });
    assert_eq!(local, "web:lo");
    for (e, port) in refused.iter().zip([8080, 9090]) {
        assert!(matches!(e, Error::Conflict(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("Bind for 0.0.0.0:{port} failed: port is already allocated")
        );
    }

    // From another host's address, routed through the daemon namespace.
    let from_ext = exchange_from(&ext.path(), addr("10.99.0.1:8080"), "ext");
    assert_eq!(from_ext.expect("ext -> 10.99.0.1:8080"), "web:ext");
    // From another container on the bridge, through the gateway's address.
    let from_peer = exchange_from(&peer.path(), addr("172.17.0.1:8080"), "peer");
    assert_eq!(from_peer.expect("peer -> 172.17.0.1:8080"), "web:peer");

    // A container reaches its own published port (hairpin mode and masquerade).
    let own = exchange_from(&web.path(), addr("172.17.0.1:8080"), "self");
    assert_eq!(own.expect("web -> 172.17.0.1:8080"), "web:self");

    let table = fx.table();
    assert!(
        table.contains("tcp dport 8080 dnat to 172.17.0.2:80"),
        "{table}"
    );

    // UDP, published on one address only, from the other host; then withdrawn.
    let udp_server = udp_echo_once(&web.path(), 53, "web");
    let (d, udp) = block_in(&fx.path(), move || async move {
        let ip = "10.99.0.1".parse().expect("literal");
        let b = d
            .publish("web", Some(ip), 5353, 53, Protocol::Udp)
            .await
            .expect("publish udp");
        (d, b)
    });
    let answer = udp_exchange_from(&ext.path(), addr("10.99.0.1:5353"), "dns");
    assert_eq!(answer.expect("ext -> 10.99.0.1:5353/udp"), "web:dns");
    udp_server.join().expect("udp echo");
    assert!(
        fx.table()
            .contains("ip daddr 10.99.0.1 udp dport 5353 dnat to 172.17.0.2:53")
    );
    let d = block_in(&fx.path(), move || async move {
        d.unpublish(&udp).await.expect("unpublish");
        assert_eq!(d.ports(Some("web")).len(), 2);
        d
    });
    assert!(!fx.table().contains("5353"), "{}", fx.table());

    // Detach releases the ports: the rules go, the port is free again.
    let d = block_in(&fx.path(), move || async move {
        d.detach(&ep).await.expect("detach");
        assert!(d.ports(Some("web")).is_empty());
        assert!(exchange_here(addr("127.0.0.1:8080"), "gone").is_err());
        drop(TcpListener::bind("0.0.0.0:8080").expect("8080 is free again"));
        d.settle().await;
        d
    });
    assert!(!fx.table().contains("dnat to"), "{}", fx.table());
    drop(server);
    block_in(&fx.path(), move || async move {
        d.shutdown().await.expect("shutdown")
    });
    drop((web, peer, ext, fx));
    host.assert_unchanged();
}

//! Privileged: bridge set-up at start-up, inside a namespace each test creates.

use crate::common;

use std::time::Instant;

use common::{Fixture, HostSnapshot, block_in, ms};
use netdriver::{Bridge, Error, NetDriver};

#[test]
#[ignore = "privileged"]
fn bridge_takes_the_first_free_subnet() {
    testkit::require_privileged();
    let host = HostSnapshot::take();
    // 172.17.0.0/16 is taken by a route, 172.18.0.0/16 by the fixture's nameserver.
    let fx = Fixture::new("nd-subnet", "172.18.0.53");
    // (The dummy module may be missing; a veth pair is always there.)
    fx.ip(&["link", "add", "rt0", "type", "veth", "peer", "name", "rt1"]);
    fx.ip(&["link", "set", "rt0", "up"]);
    fx.ip(&["link", "set", "rt1", "up"]);
    fx.ip(&["route", "add", "172.17.0.0/16", "dev", "rt0"]);
    let mut config = fx.config();
    config.mtu = 1400;
    let (info, dns, search) = block_in(&fx.path(), move || async move {
        let t = Instant::now();
        let d = NetDriver::init(config)
            .await
            .expect("init")
            .expect("a bridge");
        println!("bridge set-up at start-up: {:.2} ms", ms(t));
        let out = (d.info(), d.dns().to_vec(), d.dns_search().to_vec());
        d.shutdown().await.expect("shutdown");
        out
    });
    assert_eq!(info.bridge, "docker0");
    assert_eq!(info.subnet.to_string(), "172.19.0.0/16");
    assert_eq!(info.gateway.to_string(), "172.19.0.1");
    assert_eq!(info.identity.id.len(), 64);
    assert_eq!(
        dns,
        ["172.18.0.53".parse::<std::net::IpAddr>().expect("literal")]
    );
    assert_eq!(search, ["example.test"]);

    let link = fx.ip(&["-d", "link", "show", "docker0"]);
    assert!(link.contains("mtu 1400"), "{link}");
    assert!(link.contains("link/ether 02:42:ac:13:00:01"), "{link}");
    assert!(link.contains(",UP"), "{link}");
    assert!(link.contains("bridge "), "{link}");
    let addr = fx.ip(&["-4", "addr", "show", "docker0"]);
    assert!(addr.contains("inet 172.19.0.1/16"), "{addr}");
    let sysctl = |k: &str| fx.ns.run("cat", &[k]).expect("sysctl").trim().to_string();
    assert_eq!(sysctl("/proc/sys/net/ipv4/ip_forward"), "1");
    assert_eq!(
        sysctl("/proc/sys/net/ipv4/conf/docker0/route_localnet"),
        "1"
    );
    let table = fx.table();
    assert!(
        table.contains("ip saddr 172.19.0.0/16 oifname != \"docker0\" masquerade"),
        "{table}"
    );
    drop(fx);
    host.assert_unchanged();
}

#[test]
#[ignore = "privileged"]
fn bad_bridge_flags_fail_cleanly() {
    testkit::require_privileged();
    let host = HostSnapshot::take();
    let fx = Fixture::new("nd-flags", "192.0.2.53");
    let base = fx.config();
    block_in(&fx.path(), move || async move {
        // --bridge=none: no driver, nothing created.
        let mut none = base.clone();
        none.bridge = Bridge::None;
        assert!(NetDriver::init(none).await.expect("none is fine").is_none());

        let mut missing = base.clone();
        missing.bridge = Bridge::Named("br-missing".into());
        let e = NetDriver::init(missing).await.expect_err("missing bridge");
        assert!(matches!(e, Error::NotFound(_)), "{e:?}");
        assert_eq!(e.to_string(), "bridge br-missing not found");

        let mut not_bridge = base.clone();
        not_bridge.bridge = Bridge::Named("lo".into());
        let e = NetDriver::init(not_bridge)
            .await
            .expect_err("lo is no bridge");
        assert_eq!(e.to_string(), "link lo is not a bridge");

        let mut first = base.clone();
        first.bip = Some("172.30.0.1/16".parse().expect("literal"));
        let d = NetDriver::init(first).await.expect("init").expect("bridge");
        assert_eq!(d.subnet().to_string(), "172.30.0.0/16");
        d.shutdown().await.expect("shutdown");

        let mut other = base.clone();
        other.bip = Some("172.31.0.1/16".parse().expect("literal"));
        let e = NetDriver::init(other).await.expect_err("bip mismatch");
        assert!(matches!(e, Error::InvalidParameter(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "bridge ip (172.30.0.1/16) does not match existing bridge configuration 172.31.0.1/16"
        );

        let mut same = base.clone();
        same.bip = Some("172.30.0.1/16".parse().expect("literal"));
        let d = NetDriver::init(same)
            .await
            .expect("same bip")
            .expect("bridge");
        d.shutdown().await.expect("shutdown");
    });
    assert!(!fx.links().iter().any(|l| l == "br-missing"));

    // A named bridge the administrator made is used with its own address.
    fx.ip(&["link", "add", "br-admin", "type", "bridge"]);
    fx.ip(&["addr", "add", "10.88.0.1/24", "dev", "br-admin"]);
    let mut named = fx.config();
    named.bridge = Bridge::Named("br-admin".into());
    let subnet = block_in(&fx.path(), move || async move {
        let d = NetDriver::init(named)
            .await
            .expect("named")
            .expect("bridge");
        let s = d.subnet();
        d.shutdown().await.expect("shutdown");
        s
    });
    assert_eq!(subnet.to_string(), "10.88.0.0/24");
    drop(fx);
    host.assert_unchanged();
}

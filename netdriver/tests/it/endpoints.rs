//! Privileged: container endpoints on the bridge, each container a namespace the test creates.

use crate::common;

use std::time::Instant;

use common::{Fixture, HostSnapshot, block_in, links, ms, ping};
use netdriver::{Error, NetDriver};
use testkit::NetNs;

#[test]
#[ignore = "privileged"]
fn endpoints_reach_each_other_and_the_gateway() {
    testkit::require_privileged();
    let host = HostSnapshot::take();
    let fx = Fixture::new("nd-ep", "192.0.2.53");
    let c1 = NetNs::new("nd-ep-c1").expect("c1");
    let c2 = NetNs::new("nd-ep-c2").expect("c2");
    let (p1, p2) = (c1.path(), c2.path());
    let mut config = fx.config();
    config.mtu = 1450;
    let (d, e1, e2) = block_in(&fx.path(), move || async move {
        let d = NetDriver::init(config)
            .await
            .expect("init")
            .expect("bridge");
        let e1 = d.attach("c1", &p1, None).await.expect("attach c1");
        let want = "172.17.0.9".parse().expect("literal");
        let e2 = d.attach("c2", &p2, Some(want)).await.expect("attach c2");
        (d, e1, e2)
    });
    assert_eq!(e1.ip.to_string(), "172.17.0.2");
    assert_eq!(e1.mac.to_string(), "02:42:ac:11:00:02");
    assert_eq!(e2.ip.to_string(), "172.17.0.9");

    let eth0 = c1.run("ip", &["-d", "addr", "show", "eth0"]).expect("eth0");
    assert!(eth0.contains("link/ether 02:42:ac:11:00:02"), "{eth0}");
    assert!(eth0.contains("inet 172.17.0.2/16"), "{eth0}");
    assert!(eth0.contains("mtu 1450"), "{eth0}");
    assert!(eth0.contains("state UP"), "{eth0}");
    let lo = c1.run("ip", &["link", "show", "lo"]).expect("lo");
    assert!(lo.contains(",UP"), "{lo}");
    let route = c1.run("ip", &["route", "show", "default"]).expect("route");
    assert!(route.contains("default via 172.17.0.1 dev eth0"), "{route}");
    let veth = fx.ip(&["-d", "link", "show", &e1.host_veth]);
    assert!(veth.contains("master docker0"), "{veth}");

    assert!(ping(&c1, "172.17.0.9"), "c1 -> c2");
    assert!(ping(&c2, "172.17.0.2"), "c2 -> c1");
    assert!(ping(&c1, "172.17.0.1"), "c1 -> gateway");

    // One endpoint per container, and a requested address that is taken is refused.
    let c3 = NetNs::new("nd-ep-c3").expect("c3");
    let p3 = c3.path();
    let (d, dup, taken) = block_in(&fx.path(), move || async move {
        let dup = d
            .attach("c1", &p3, None)
            .await
            .expect_err("second endpoint");
        let want = "172.17.0.9".parse().expect("literal");
        let taken = d.attach("c3", &p3, Some(want)).await.expect_err("taken");
        (d, dup, taken)
    });
    assert!(matches!(dup, Error::Conflict(_)), "{dup:?}");
    assert!(matches!(taken, Error::Conflict(_)), "{taken:?}");
    assert!(
        !links(&c3).iter().any(|l| l == "eth0"),
        "a refused attach left eth0"
    );

    // Attach + detach latency, on a namespace of its own.
    let p3 = c3.path();
    let d = block_in(&fx.path(), move || async move {
        let rounds = 20;
        let (mut attach, mut detach) = (0.0, 0.0);
        for i in 0..rounds {
            let id = format!("bench{i}");
            let t = Instant::now();
            let ep = d.attach(&id, &p3, None).await.expect("attach");
            attach += ms(t);
            let t = Instant::now();
            d.detach(&ep).await.expect("detach");
            detach += ms(t);
            // The same namespace is reused: let the old eth0 go before the next attach.
            d.settle().await;
        }
        let n = f64::from(rounds);
        println!(
            "endpoint latency over {rounds} rounds: attach {:.2} ms, detach {:.2} ms",
            attach / n,
            detach / n
        );
        d.detach(&e1).await.expect("detach c1");
        d.detach(&e2).await.expect("detach c2");
        // Detaching twice is harmless.
        d.detach(&e2).await.expect("detach c2 again");
        assert!(d.endpoints().is_empty());
        // Veths are deleted in the background; wait for that before looking.
        d.settle().await;
        d
    });
    // Detach after the container's namespace is gone, as after a container exits.
    let mut after_exit = 0.0;
    let mut d = d;
    for i in 0..5 {
        let gone = NetNs::new("nd-ep-gone").expect("ns");
        let pg = gone.path();
        let (d2, ep) = block_in(&fx.path(), move || async move {
            let ep = d
                .attach(&format!("gone{i}"), &pg, None)
                .await
                .expect("attach");
            (d, ep)
        });
        drop(gone);
        let (d2, took) = block_in(&fx.path(), move || async move {
            let t = Instant::now();
            d2.detach(&ep).await.expect("detach");
            let took = ms(t);
            d2.settle().await;
            (d2, took)
        });
        after_exit += took;
        d = d2;
    }
    println!(
        "detach after the namespace is gone: {:.2} ms",
        after_exit / 5.0
    );
    assert!(
        !fx.links().iter().any(|l| l.starts_with("veth")),
        "veths left: {:?}",
        fx.links()
    );
    assert!(!links(&c1).iter().any(|l| l == "eth0"));
    block_in(&fx.path(), move || async move {
        d.shutdown().await.expect("shutdown")
    });
    drop((c1, c2, c3, fx));
    host.assert_unchanged();
}

#[test]
#[ignore = "privileged"]
fn icc_false_keeps_containers_apart() {
    testkit::require_privileged();
    let host = HostSnapshot::take();
    let fx = Fixture::new("nd-icc", "192.0.2.53");
    let c1 = NetNs::new("nd-icc-c1").expect("c1");
    let c2 = NetNs::new("nd-icc-c2").expect("c2");
    let (p1, p2) = (c1.path(), c2.path());
    let mut config = fx.config();
    config.icc = false;
    let d = block_in(&fx.path(), move || async move {
        let d = NetDriver::init(config)
            .await
            .expect("init")
            .expect("bridge");
        d.attach("c1", &p1, None).await.expect("attach c1");
        d.attach("c2", &p2, None).await.expect("attach c2");
        d
    });
    assert!(!ping(&c1, "172.17.0.3"), "icc=false let c1 reach c2");
    assert!(ping(&c1, "172.17.0.1"), "c1 -> gateway");
    let table = fx.table();
    assert!(
        table.contains("iifname \"docker0\" oifname \"docker0\" drop"),
        "{table}"
    );
    block_in(&fx.path(), move || async move {
        d.shutdown().await.expect("shutdown")
    });
    drop((c1, c2, fx));
    host.assert_unchanged();
}

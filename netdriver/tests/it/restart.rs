//! Privileged: a restart keeps allocations and ports, replaces the table without duplicates and
//! leaves other tables alone.

use crate::common;

use common::{Fixture, HostSnapshot, block_in};
use netdriver::{NetDriver, Protocol};
use testkit::NetNs;

#[test]
#[ignore = "privileged"]
fn restart_keeps_allocations_and_rules() {
    testkit::require_privileged();
    let host = HostSnapshot::take();
    let fx = Fixture::new("nd-restart", "192.0.2.53");
    // A table wharf does not own, with a rule, must survive every start untouched.
    fx.ns
        .run("nft", &["add", "table", "ip", "keepme"])
        .expect("foreign table");
    fx.ns
        .run("nft", &["add", "chain", "ip", "keepme", "c"])
        .expect("foreign chain");
    fx.ns
        .run(
            "nft",
            &[
                "add", "rule", "ip", "keepme", "c", "tcp", "dport", "1", "accept",
            ],
        )
        .expect("foreign rule");
    let foreign = fx
        .ns
        .run("nft", &["list", "table", "ip", "keepme"])
        .expect("list");

    let c1 = NetNs::new("nd-restart-c1").expect("c1");
    let c2 = NetNs::new("nd-restart-c2").expect("c2");
    let (p1, p2) = (c1.path(), c2.path());
    let config = fx.config();
    let (e1, id1) = block_in(&fx.path(), {
        let config = config.clone();
        move || async move {
            let d = NetDriver::init(config)
                .await
                .expect("init")
                .expect("bridge");
            let e1 = d.attach("c1", &p1, None).await.expect("attach c1");
            d.publish("c1", None, 8080, 80, Protocol::Tcp)
                .await
                .expect("publish");
            let id = d.info().identity.id;
            d.shutdown().await.expect("shutdown");
            (e1, id)
        }
    });
    let first = fx.table();
    assert_eq!(first.matches("dnat to").count(), 1, "{first}");

    let (e2, id2) = block_in(&fx.path(), {
        let config = config.clone();
        let e1 = e1.clone();
        move || async move {
            let d = NetDriver::init(config)
                .await
                .expect("restart")
                .expect("bridge");
            assert_eq!(d.endpoints(), vec![e1.clone()], "endpoint restored");
            assert_eq!(d.ports(None).len(), 1, "binding restored");
            let again = d
                .publish("c1", None, 8080, 80, Protocol::Tcp)
                .await
                .expect_err("still published");
            assert!(again.to_string().contains("port is already allocated"));
            let e2 = d.attach("c2", &p2, None).await.expect("attach c2");
            let id = d.info().identity.id;
            d.detach(&e2).await.expect("detach c2");
            d.shutdown().await.expect("shutdown");
            (e2, id)
        }
    });
    assert_ne!(e2.ip, e1.ip, "a restart handed out an address in use");
    assert_eq!(e2.ip.to_string(), "172.17.0.3");
    assert_eq!(id1, id2, "the network ID is stable");
    assert_eq!(fx.table(), first, "the table changed across a restart");

    // A third start gives the same table again, and a json listing has no duplicated rule.
    block_in(&fx.path(), move || async move {
        let d = NetDriver::init(config)
            .await
            .expect("restart")
            .expect("bridge");
        d.shutdown().await.expect("shutdown");
    });
    assert_eq!(fx.table(), first);
    let json = fx
        .ns
        .run("nft", &["-j", "list", "table", "ip", "wharf"])
        .expect("json listing");
    let v: serde_json::Value = serde_json::from_str(&json).expect("nft json");
    let rules: Vec<String> = v["nftables"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|o| o.get("rule"))
        .map(|r| format!("{}{}", r["chain"], r["expr"]))
        .collect();
    let mut unique = rules.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), rules.len(), "duplicated rules: {rules:#?}");
    assert_eq!(
        fx.ns
            .run("nft", &["list", "table", "ip", "keepme"])
            .expect("list"),
        foreign,
        "a foreign table was touched"
    );
    drop((c1, c2, fx));
    host.assert_unchanged();
}

//! User-network options (issue 14): `--default-address-pool` (the default bridge and networks
//! without a `--subnet` take their subnets from the pools, in order) and `enable_icc=false`.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn default_address_pools_give_the_subnets() {
    let env = Env::new(
        "addrpools",
        &["--default-address-pool", "base=10.77.0.0/16,size=24"],
    );
    let subnet = |net: &str| {
        env.ok(&[
            "network",
            "inspect",
            "-f",
            "{{(index .IPAM.Config 0).Subnet}}",
            net,
        ])
        .trim()
        .to_owned()
    };
    assert_eq!(subnet("bridge"), "10.77.0.0/24");
    env.ok(&["network", "create", "p1"]);
    env.ok(&["network", "create", "p2"]);
    assert_eq!(subnet("p1"), "10.77.1.0/24");
    assert_eq!(subnet("p2"), "10.77.2.0/24");
    let out = env.ok(&[
        "run",
        "--rm",
        "--network",
        "p2",
        "busybox",
        "ip",
        "-4",
        "-o",
        "addr",
        "show",
        "eth0",
    ]);
    assert!(out.contains("inet 10.77.2.2/24"), "{out}");
}

#[test]
#[ignore = "privileged"]
fn enable_icc_false_keeps_containers_of_a_network_apart() {
    let env = Env::new("uicc", &[]);
    env.ok(&[
        "network",
        "create",
        "-o",
        "com.docker.network.bridge.enable_icc=false",
        "closed",
    ]);
    env.ok(&["network", "create", "open"]);
    for (name, net) in [("c1", "closed"), ("o1", "open")] {
        env.ok(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            net,
            "busybox",
            "sleep",
            "300",
        ]);
    }
    let ip = |c: &str, net: &str| {
        let f = format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}");
        env.ok(&["inspect", "-f", &f, c]).trim().to_owned()
    };
    let reaches = |net: &str, ip: &str| {
        env.docker(&[
            "run",
            "--rm",
            "--network",
            net,
            "busybox",
            "ping",
            "-c1",
            "-W1",
            ip,
        ])
        .status
        .success()
    };
    assert!(
        !reaches("closed", &ip("c1", "closed")),
        "icc off let a peer through"
    );
    assert!(reaches("open", &ip("o1", "open")), "icc on stopped a peer");
    // The gateway stays reachable with icc off.
    let gw = env.ok(&[
        "network",
        "inspect",
        "-f",
        "{{(index .IPAM.Config 0).Gateway}}",
        "closed",
    ]);
    assert!(reaches("closed", gw.trim()), "icc off cut the gateway");
}

//! `--default-address-pool` (issue 14): the default bridge and networks without a `--subnet`
//! take their subnets from the configured pools, in order.

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

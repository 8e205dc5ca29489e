//! Privileged tests of user-defined networks through the real CLI: create, inspect, ls, rm,
//! prune; containers on them reaching each other, connect and disconnect; isolation between
//! networks and `--internal`; what survives a daemon SIGKILL.

use serde_json::Value;
use testkit::Wharfd;

use crate::containers::Env;

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

fn json(s: &str) -> Value {
    serde_json::from_str(s).expect("json")
}

/// `docker inspect -f FORMAT NAME`, trimmed.
fn fmt(env: &Env, format: &str, name: &str) -> String {
    env.ok(&["inspect", "-f", format, name]).trim().to_owned()
}

/// Whether `from` can ping `ip` (one try, one second).
fn pings(env: &Env, from: &str, ip: &str) -> bool {
    env.docker(&["exec", from, "ping", "-c", "1", "-W", "1", ip])
        .status
        .success()
}

#[test]
#[ignore = "privileged"]
fn user_networks_are_created_inspected_listed_and_removed() {
    let env = Env::new("unet", &[]);
    let id = env.ok(&["network", "create", "mynet"]).trim().to_owned();
    assert_eq!(id.len(), 64, "{id}");
    let n = &json(&env.ok(&["network", "inspect", "mynet"]))[0];
    assert_eq!(n["Id"], id.as_str());
    assert_eq!(n["Driver"], "bridge");
    assert_eq!(n["Scope"], "local");
    // docker0 has 172.17.0.0/16: the next default pool.
    assert_eq!(n["IPAM"]["Config"][0]["Subnet"], "172.18.0.0/16");
    assert_eq!(n["IPAM"]["Config"][0]["Gateway"], "172.18.0.1");
    assert_eq!(n["Options"], serde_json::json!({}));
    assert_eq!(n["Containers"], serde_json::json!({}));
    let bridge = format!("br-{}", &id[..12]);
    let addr = env
        .ns()
        .run("ip", &["-4", "addr", "show", &bridge])
        .expect("bridge");
    assert!(addr.contains("inet 172.18.0.1/16"), "{addr}");

    let opt = env
        .ok(&[
            "network",
            "create",
            "--subnet",
            "10.50.0.0/24",
            "--gateway",
            "10.50.0.254",
            "--ip-range",
            "10.50.0.128/25",
            "--aux-address",
            "a=10.50.0.5",
            "--internal",
            "--attachable",
            "--label",
            "x=y",
            "-o",
            "com.docker.network.bridge.enable_icc=false",
            "-o",
            "com.docker.network.driver.mtu=1400",
            "-o",
            "com.docker.network.bridge.name=brtest",
            "optnet",
        ])
        .trim()
        .to_owned();
    let o = &json(&env.ok(&["network", "inspect", &opt[..12]]))[0];
    assert_eq!(o["Name"], "optnet");
    assert_eq!(o["Internal"], true);
    assert_eq!(o["Attachable"], true);
    assert_eq!(o["Labels"]["x"], "y");
    assert_eq!(o["IPAM"]["Config"][0]["IPRange"], "10.50.0.128/25", "{o}");
    assert_eq!(o["IPAM"]["Config"][0]["Gateway"], "10.50.0.254");
    assert_eq!(
        o["IPAM"]["Config"][0]["AuxiliaryAddresses"]["a"],
        "10.50.0.5"
    );
    assert_eq!(o["Options"]["com.docker.network.driver.mtu"], "1400");
    let link = env
        .ns()
        .run("ip", &["link", "show", "brtest"])
        .expect("brtest");
    assert!(link.contains("mtu 1400"), "{link}");

    // dockerd's refusals.
    let dup = env.fails(&["network", "create", "mynet"]);
    assert!(
        dup.contains("network with name mynet already exists"),
        "{dup}"
    );
    let overlap = env.fails(&["network", "create", "--subnet", "10.50.0.0/16", "over"]);
    assert!(
        overlap.contains("Pool overlaps with other one on this address space"),
        "{overlap}"
    );
    let host = env.fails(&["network", "create", "-d", "host", "h"]);
    assert!(
        host.contains("only one instance of \"host\" network is allowed"),
        "{host}"
    );
    let bogus = env.fails(&["network", "create", "-d", "macvlan", "m"]);
    assert!(bogus.contains("plugin \"macvlan\" not found"), "{bogus}");
    let pre = env.fails(&["network", "rm", "bridge"]);
    assert!(
        pre.contains("bridge is a pre-defined network and cannot be removed"),
        "{pre}"
    );

    let custom = env.ok(&[
        "network",
        "ls",
        "--filter",
        "type=custom",
        "--format",
        "{{.Name}}",
    ]);
    assert_eq!(custom.lines().collect::<Vec<_>>(), ["mynet", "optnet"]);

    // Not removable while a container is attached; removable when it is gone.
    env.ok(&[
        "run",
        "-d",
        "--name",
        "gamma",
        "--network",
        "mynet",
        "busybox",
        "sleep",
        "300",
    ]);
    let busy = env.fails(&["network", "rm", "mynet"]);
    assert!(busy.contains("has active endpoints"), "{busy}");
    let pruned = env.ok(&["network", "prune", "-f", "--filter", "label=x=y"]);
    assert!(
        pruned.contains("optnet") && !pruned.contains("mynet"),
        "{pruned}"
    );
    assert!(
        env.ns().run("ip", &["link", "show", "brtest"]).is_err(),
        "brtest went"
    );
    env.ok(&["rm", "-f", "gamma"]);
    env.ok(&["network", "rm", "mynet"]);
    assert!(
        env.ns().run("ip", &["link", "show", &bridge]).is_err(),
        "the bridge went"
    );
    let left = env.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(left.lines().collect::<Vec<_>>(), ["bridge", "host", "none"]);
}

#[test]
#[ignore = "privileged"]
fn containers_on_a_user_network_reach_each_other_and_connect_and_disconnect() {
    let env = Env::new("uconn", &[]);
    env.ok(&["network", "create", "--subnet", "10.80.0.0/24", "net1"]);
    env.ok(&["network", "create", "--subnet", "10.81.0.0/24", "net2"]);
    let run = |args: &[&str]| env.ok(&[&["run", "-d"], args].concat());
    run(&[
        "--name",
        "alpha",
        "--network",
        "net1",
        "--ip",
        "10.80.0.10",
        "--network-alias",
        "web",
        "busybox",
        "sleep",
        "300",
    ]);
    run(&[
        "--name",
        "beta",
        "--network",
        "net1",
        "busybox",
        "sleep",
        "300",
    ]);
    let eps = &json(&env.ok(&["inspect", "alpha"]))[0]["NetworkSettings"]["Networks"];
    let a = &eps["net1"];
    assert_eq!(a["IPAddress"], "10.80.0.10");
    assert_eq!(a["Gateway"], "10.80.0.1");
    assert_eq!(a["IPPrefixLen"], 24);
    assert_eq!(a["MacAddress"], "02:42:0a:50:00:0a");
    assert_eq!(a["Aliases"], serde_json::json!(["web"]));
    assert_eq!(a["DNSNames"][0], "alpha");
    assert!(
        a["DNSNames"]
            .as_array()
            .is_some_and(|n| n.iter().any(|x| x == "web"))
    );
    assert_eq!(a["NetworkID"].as_str().map(str::len), Some(64));
    assert_eq!(a["EndpointID"].as_str().map(str::len), Some(64));
    assert!(
        pings(&env, "beta", "10.80.0.10"),
        "b reaches a on their network"
    );
    let members = env.ok(&[
        "network",
        "inspect",
        "-f",
        "{{range .Containers}}{{.Name}} {{end}}",
        "net1",
    ]);
    assert_eq!(
        members.split_whitespace().collect::<Vec<_>>().len(),
        2,
        "{members}"
    );

    // A static address on the default bridge is dockerd's 400.
    let bad = env.fails(&["run", "--ip", "172.17.0.50", "busybox", "true"]);
    assert!(
        bad.contains("user specified IP address is supported on user defined networks only"),
        "{bad}"
    );

    // connect: a second interface, eth1, on net2; disconnect takes it away.
    env.ok(&[
        "network",
        "connect",
        "--alias",
        "x",
        "--ip",
        "10.81.0.7",
        "net2",
        "alpha",
    ]);
    let addrs = env.ok(&["exec", "alpha", "ip", "-4", "addr"]);
    assert!(
        addrs.contains("10.80.0.10/24") && addrs.contains("eth0"),
        "{addrs}"
    );
    assert!(
        addrs.contains("10.81.0.7/24") && addrs.contains("eth1"),
        "{addrs}"
    );
    assert_eq!(
        fmt(
            &env,
            "{{(index .NetworkSettings.Networks \"net2\").IPAddress}}",
            "alpha"
        ),
        "10.81.0.7"
    );
    let again = env.fails(&["network", "connect", "net2", "alpha"]);
    assert!(
        again.contains("endpoint with name alpha already exists in network net2"),
        "{again}"
    );
    env.ok(&["network", "disconnect", "net2", "alpha"]);
    let addrs = env.ok(&["exec", "alpha", "ip", "-4", "addr"]);
    assert!(!addrs.contains("10.81.0.7"), "{addrs}");
    assert_eq!(fmt(&env, "{{len .NetworkSettings.Networks}}", "alpha"), "1");

    // A stopped container gets the network at its next start, the default route by name.
    env.ok(&["stop", "-t", "0", "beta"]);
    env.ok(&["network", "connect", "net2", "beta"]);
    env.ok(&["start", "beta"]);
    let addrs = env.ok(&["exec", "beta", "ip", "-4", "addr"]);
    assert!(
        addrs.contains("10.80.0.") && addrs.contains("10.81.0."),
        "{addrs}"
    );
    let route = env.ok(&["exec", "beta", "ip", "route"]);
    assert!(route.contains("default via 10.80.0.1 dev eth0"), "{route}");
}

#[test]
#[ignore = "privileged"]
fn user_networks_are_isolated_and_internal_ones_have_no_way_out() {
    let env = Env::new("uiso", &[]);
    env.ok(&["network", "create", "--subnet", "10.90.0.0/24", "one"]);
    env.ok(&["network", "create", "--subnet", "10.91.0.0/24", "two"]);
    env.ok(&[
        "network",
        "create",
        "--internal",
        "--subnet",
        "10.92.0.0/24",
        "closed",
    ]);
    let run = |name: &str, net: &str, ip: &str| {
        env.ok(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            net,
            "--ip",
            ip,
            "busybox",
            "sleep",
            "300",
        ]);
    };
    run("alpha", "one", "10.90.0.2");
    run("alpha2", "one", "10.90.0.3");
    run("beta", "two", "10.91.0.2");
    run("gamma", "closed", "10.92.0.2");
    run("gamma2", "closed", "10.92.0.3");
    assert!(pings(&env, "alpha", "10.90.0.3"), "same network");
    assert!(!pings(&env, "alpha", "10.91.0.2"), "one cannot reach two");
    assert!(!pings(&env, "beta", "10.90.0.2"), "two cannot reach one");
    // The default bridge is isolated from user networks too.
    env.ok(&["run", "-d", "--name", "delta", "busybox", "sleep", "300"]);
    let dip = fmt(&env, "{{.NetworkSettings.IPAddress}}", "delta");
    assert!(!pings(&env, "alpha", &dip), "one cannot reach bridge");
    assert!(
        !pings(&env, "delta", "10.90.0.2"),
        "bridge cannot reach one"
    );

    // Internal: peers yes, no default route, nothing of the test's namespace.
    assert!(pings(&env, "gamma", "10.92.0.3"));
    let route = env.ok(&["exec", "gamma", "ip", "route"]);
    assert!(!route.contains("default"), "{route}");
    assert!(
        !pings(&env, "gamma", "172.17.0.1"),
        "no way out of an internal network"
    );
    assert!(!pings(&env, "gamma", "10.90.0.2"));
    assert_eq!(
        fmt(
            &env,
            "{{(index .NetworkSettings.Networks \"closed\").Gateway}}",
            "gamma"
        ),
        ""
    );
}

#[test]
#[ignore = "privileged"]
fn user_networks_and_addresses_survive_a_daemon_sigkill() {
    let mut env = Env::new("usurv", &[]);
    let env = &mut env;
    let id = env.ok(&["network", "create", "keep"]).trim().to_owned();
    env.ok(&[
        "run",
        "-d",
        "--name",
        "alpha",
        "--network",
        "keep",
        "busybox",
        "sleep",
        "300",
    ]);
    env.ok(&[
        "run",
        "-d",
        "--name",
        "beta",
        "--network",
        "keep",
        "busybox",
        "sleep",
        "300",
    ]);
    let keep_ip = "{{(index .NetworkSettings.Networks \"keep\").IPAddress}}";
    let (a_ip, b_ip) = (fmt(env, keep_ip, "alpha"), fmt(env, keep_ip, "beta"));
    assert_eq!((a_ip.as_str(), b_ip.as_str()), ("172.18.0.2", "172.18.0.3"));
    env.d.kill().expect("SIGKILL wharfd");
    let d = Wharfd::builder(BIN)
        .dir(env.d.dir())
        .start(env.ns())
        .expect("wharfd restarts");
    let ok = |args: &[&str]| d.docker_ok(args);
    let ip = |name: &str| {
        let f = "{{(index .NetworkSettings.Networks \"keep\").IPAddress}}";
        ok(&["inspect", "-f", f, name]).trim().to_owned()
    };
    let n = &json(&ok(&["network", "inspect", "keep"]))[0];
    assert_eq!(n["Id"], id.as_str());
    assert_eq!(n["IPAM"]["Config"][0]["Subnet"], "172.18.0.0/16");
    assert_eq!(n["Containers"].as_object().map(|m| m.len()), Some(2));
    assert_eq!(ip("alpha"), a_ip);
    let ping = d
        .docker(&["exec", "alpha", "ping", "-c", "1", "-W", "1", &b_ip])
        .expect("docker runs");
    assert!(ping.status.success(), "still reachable after the restart");
    // A new container gets a free address; a restarted one keeps its own.
    ok(&[
        "run",
        "-d",
        "--name",
        "gamma",
        "--network",
        "keep",
        "busybox",
        "sleep",
        "300",
    ]);
    assert_eq!(ip("gamma"), "172.18.0.4");
    let alpha_id = ok(&["inspect", "-f", "{{.Id}}", "alpha"]).trim().to_owned();
    let record = d
        .paths
        .data_root
        .join("containers")
        .join(&alpha_id)
        .join("container.json");
    let record = std::fs::read_to_string(record).expect("record");
    assert!(
        record.contains(&format!("\"IPAddress\":\"{a_ip}\"")),
        "{record}"
    );
    ok(&["restart", "-t", "0", "alpha"]);
    assert_eq!(ip("alpha"), a_ip, "its address was free again");
    let rules = env
        .ns()
        .run("nft", &["list", "table", "ip", "wharf"])
        .expect("table");
    assert!(rules.contains(&format!("br-{}", &id[..12])), "{rules}");
    ok(&["rm", "-f", "alpha", "beta", "gamma"]);
    ok(&["network", "rm", "keep"]);
}

#[test]
#[ignore = "privileged"]
fn names_resolve_through_the_embedded_dns_on_user_networks_only() {
    let env = Env::new("udns", &[]);
    env.ok(&["network", "create", "dnsnet"]);
    let run = |args: &[&str]| env.ok(&[&["run", "-d"], args].concat()).trim().to_owned();
    let web = run(&[
        "--name",
        "web",
        "--network",
        "dnsnet",
        "--network-alias",
        "www",
        "busybox",
        "sleep",
        "300",
    ]);
    run(&[
        "--name",
        "client",
        "--network",
        "dnsnet",
        "busybox",
        "sleep",
        "300",
    ]);
    run(&[
        "--name",
        "linker",
        "--network",
        "dnsnet",
        "--link",
        "web:db",
        "busybox",
        "sleep",
        "300",
    ]);
    let web_ip = fmt(
        &env,
        "{{(index .NetworkSettings.Networks \"dnsnet\").IPAddress}}",
        "web",
    );
    let resolv = env.ok(&["exec", "client", "cat", "/etc/resolv.conf"]);
    assert!(resolv.contains("nameserver 127.0.0.11"), "{resolv}");
    assert!(resolv.contains("ndots:0"), "{resolv}");
    for name in ["web", "www", &web[..12]] {
        let out = env.ok(&["exec", "client", "nslookup", name]);
        assert!(out.contains(&web_ip), "{name}: {out}");
    }
    assert!(pings(&env, "client", "web"), "by name");
    assert!(pings(&env, "linker", "db"), "by link alias");
    let nx = env.docker(&["exec", "client", "nslookup", "db"]);
    assert!(
        !text(&nx.stdout).contains(&web_ip),
        "a link alias is the linker's alone"
    );

    // The default bridge keeps the host's resolvers and no names.
    run(&["--name", "plain", "busybox", "sleep", "300"]);
    let resolv = env.ok(&["exec", "plain", "cat", "/etc/resolv.conf"]);
    assert!(!resolv.contains("127.0.0.11"), "{resolv}");
    assert!(!pings(&env, "plain", "web"));

    // Disconnected, its names are gone.
    env.ok(&["network", "disconnect", "dnsnet", "web"]);
    let gone = env.docker(&["exec", "client", "nslookup", "www"]);
    assert!(
        !text(&gone.stdout).contains(&web_ip),
        "{}",
        text(&gone.stdout)
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

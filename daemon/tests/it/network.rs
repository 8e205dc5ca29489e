//! Privileged network tests: the real `wharfd` creates `docker0` in a namespace of the test's,
//! and the real CLI lists and inspects the networks as it does against dockerd.

use std::time::Duration;

use testkit::{NetNs, Wharfd, require_privileged};

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

fn stdout(d: &Wharfd, args: &[&str]) -> String {
    let out = d.docker(args).expect("docker runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "privileged"]
fn docker0_is_created_and_the_cli_lists_and_inspects_networks() {
    require_privileged();
    let ns = NetNs::new("net").expect("netns");
    let mut d = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");

    let addr = ns
        .run("ip", &["-4", "addr", "show", "docker0"])
        .expect("docker0 exists");
    assert!(addr.contains("inet 172.17.0.1/16"), "{addr}");

    let ls = stdout(
        &d,
        &[
            "network",
            "ls",
            "--format",
            "{{.Name}} {{.Driver}} {{.Scope}}",
        ],
    );
    assert_eq!(
        ls.lines().collect::<Vec<_>>(),
        ["bridge bridge local", "host host local", "none null local"]
    );

    let inspect = stdout(&d, &["network", "inspect", "bridge"]);
    let v: serde_json::Value = serde_json::from_str(&inspect).expect("json");
    let n = &v[0];
    assert_eq!(n["Name"], "bridge");
    assert_eq!(n["Driver"], "bridge");
    assert_eq!(n["IPAM"]["Config"][0]["Subnet"], "172.17.0.0/16");
    assert_eq!(n["IPAM"]["Config"][0]["Gateway"], "172.17.0.1");
    assert_eq!(n["Options"]["com.docker.network.bridge.name"], "docker0");
    assert_eq!(n["Options"]["com.docker.network.driver.mtu"], "1500");
    assert!(
        n["Created"]
            .as_str()
            .is_some_and(|c| c.ends_with('Z') && c.contains('T'))
    );
    let id = n["Id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 64);

    // By ID prefix too; an unknown network is Docker's 404.
    let short = stdout(
        &d,
        &["network", "inspect", "--format", "{{.Name}}", &id[..12]],
    );
    assert_eq!(short.trim(), "bridge");
    let r = d
        .request("GET", "/v1.47/networks/nope", None)
        .expect("request");
    assert_eq!(r.status, 404);
    assert_eq!(r.json().expect("json")["message"], "network nope not found");
    let filtered = d
        .request(
            "GET",
            "/networks?filters=%7B%22driver%22%3A%5B%22bridge%22%5D%7D",
            None,
        )
        .expect("request")
        .json()
        .expect("json");
    assert_eq!(filtered.as_array().map(Vec::len), Some(1));

    let info = stdout(&d, &["info", "--format", "{{json .Plugins.Network}}"]);
    assert_eq!(info.trim(), r#"["bridge","host","null"]"#);

    // A restart keeps the bridge, its address and the network IDs, and does not duplicate rules.
    let rules_before = ns
        .run("nft", &["list", "table", "ip", "wharf"])
        .expect("wharf table");
    assert!(rules_before.contains("masquerade"), "{rules_before}");
    let dir = d.dir().to_path_buf();
    assert!(d.terminate(Duration::from_secs(5)).expect("exit").success());
    let d2 = Wharfd::builder(BIN).dir(&dir).start(&ns).expect("restarts");
    let again = stdout(
        &d2,
        &["network", "inspect", "--format", "{{.Id}}", "bridge"],
    );
    assert_eq!(again.trim(), id);
    let rules_after = ns
        .run("nft", &["list", "table", "ip", "wharf"])
        .expect("wharf table");
    assert_eq!(rules_before, rules_after);
    drop(d);
}

#[test]
#[ignore = "privileged"]
fn bridge_none_bip_and_named_bridges_behave_as_configured() {
    require_privileged();
    let ns = NetNs::new("netcfg").expect("netns");

    let d = Wharfd::builder(BIN)
        .args(["--bridge=none"])
        .start(&ns)
        .expect("starts");
    let ls = stdout(&d, &["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(ls.lines().collect::<Vec<_>>(), ["host", "none"]);
    assert!(
        ns.run("ip", &["link", "show", "docker0"]).is_err(),
        "no bridge with --bridge=none"
    );
    drop(d);

    let d = Wharfd::builder(BIN)
        .args(["--bip", "10.66.0.1/24", "--mtu", "1400"])
        .start(&ns)
        .expect("starts");
    let subnet = stdout(
        &d,
        &[
            "network",
            "inspect",
            "--format",
            "{{(index .IPAM.Config 0).Subnet}} {{index .Options \"com.docker.network.driver.mtu\"}}",
            "bridge",
        ],
    );
    assert_eq!(subnet.trim(), "10.66.0.0/24 1400");
    drop(d);

    // docker0 now exists with 10.66.0.1/24: another --bip does not match it.
    let mut d = Wharfd::builder(BIN)
        .args(["--bip", "10.77.0.1/24"])
        .spawn(&ns)
        .expect("spawn");
    let status = d.wait_exit(Duration::from_secs(20)).expect("exits");
    assert_eq!(status.code(), Some(1));
    assert!(
        d.log()
            .contains("does not match existing bridge configuration"),
        "{}",
        d.log()
    );

    // A named bridge must exist.
    let mut d = Wharfd::builder(BIN)
        .args(["--bridge", "br-missing"])
        .spawn(&ns)
        .expect("spawn");
    assert_eq!(
        d.wait_exit(Duration::from_secs(20)).expect("exits").code(),
        Some(1)
    );
    assert!(d.log().contains("br-missing"), "{}", d.log());
}

//! Privileged volume tests: the real CLI creates, lists, inspects, mounts and removes named
//! volumes on a `wharfd` in a network namespace of the test's.

use testkit::fixtures;
use testkit::{NetNs, Wharfd, require_privileged};

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(d: &Wharfd, args: &[&str]) -> String {
    d.docker_ok(args)
}

#[test]
#[ignore = "privileged: runs wharfd and containers"]
fn named_volumes_as_docker_users_use_them() {
    require_privileged();
    let ns = NetNs::new("vol").expect("netns");
    let d = Wharfd::builder(BIN)
        .args(["--bridge=none"])
        .start(&ns)
        .expect("wharfd starts");
    let archive = d.dir().join("busybox.tar");
    fixtures::busybox()
        .expect("busybox fixture")
        .write_docker_archive(&archive)
        .expect("write fixture");
    ok(&d, &["load", "-i", archive.to_str().expect("utf-8")]);

    assert_eq!(ok(&d, &["volume", "create", "v1"]).trim(), "v1");
    let ls = ok(&d, &["volume", "ls", "--format", "{{.Driver}} {{.Name}}"]);
    assert_eq!(ls.trim(), "local v1");
    let inspect: serde_json::Value =
        serde_json::from_str(&ok(&d, &["volume", "inspect", "v1"])).expect("json");
    let v = &inspect[0];
    assert_eq!(v["Name"], "v1");
    assert_eq!(v["Scope"], "local");
    let mountpoint = v["Mountpoint"].as_str().expect("Mountpoint").to_owned();
    assert!(mountpoint.ends_with("/volumes/v1/_data"), "{mountpoint}");

    ok(
        &d,
        &[
            "run",
            "--rm",
            "--net=none",
            "-v",
            "v1:/data",
            "busybox",
            "sh",
            "-c",
            "echo hi > /data/f",
        ],
    );
    let out = ok(
        &d,
        &[
            "run",
            "--rm",
            "--net=none",
            "-v",
            "v1:/data:ro",
            "busybox",
            "cat",
            "/data/f",
        ],
    );
    assert_eq!(out.trim(), "hi");
    assert_eq!(
        std::fs::read_to_string(format!("{mountpoint}/f")).expect("f"),
        "hi\n"
    );

    let id = ok(
        &d,
        &[
            "create",
            "--net=none",
            "--mount",
            "type=volume,source=v1,target=/m",
            "busybox",
            "true",
        ],
    );
    let id = id.trim();
    let mounts: serde_json::Value =
        serde_json::from_str(&ok(&d, &["inspect", "--format", "{{json .Mounts}}", id]))
            .expect("json");
    assert_eq!(mounts[0]["Type"], "volume");
    assert_eq!(mounts[0]["Name"], "v1");
    assert_eq!(mounts[0]["Source"], mountpoint.as_str());
    assert_eq!(mounts[0]["Destination"], "/m");
    assert_eq!(mounts[0]["Driver"], "local");
    assert_eq!(mounts[0]["RW"], true);
    let out = d.docker(&["volume", "rm", "v1"]).expect("docker runs");
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr).trim(),
        format!("Error response from daemon: remove v1: volume is in use - [{id}]")
    );
    let dangling = ok(&d, &["volume", "ls", "-q", "--filter", "dangling=true"]);
    assert_eq!(dangling.trim(), "");
    ok(&d, &["rm", id]);
    assert_eq!(ok(&d, &["volume", "rm", "v1"]).trim(), "v1");
    let out = d.docker(&["volume", "inspect", "v1"]).expect("docker runs");
    assert!(
        text(&out.stderr).contains("get v1: no such volume"),
        "{}",
        text(&out.stderr)
    );

    ok(
        &d,
        &[
            "run",
            "--rm",
            "--net=none",
            "-v",
            "auto:/x",
            "busybox",
            "true",
        ],
    );
    assert_eq!(ok(&d, &["volume", "ls", "-q"]).trim(), "auto");
}

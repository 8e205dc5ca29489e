//! `docker volume create -o` for the local driver (issue 13): the device is mounted on the
//! volume while containers use it, as dockerd's `volume/local` does.

use crate::containers::Env;

/// Whether something is mounted on `path` in this (the daemon's) mount namespace.
fn mounted(path: &str) -> bool {
    let info = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    info.lines().any(|l| l.split(' ').nth(4) == Some(path))
}

#[test]
#[ignore = "privileged"]
fn local_driver_options_mount_a_device_while_in_use() {
    let env = Env::new("volopts", &[]);
    // dockerd's checks.
    let err = env.fails(&["volume", "create", "-o", "bogus=1", "v1"]);
    assert!(
        err.contains("create v1: invalid option: \"bogus\""),
        "{err}"
    );
    let err = env.fails(&["volume", "create", "-o", "type=tmpfs", "v2"]);
    assert!(err.contains("missing required option: \"device\""), "{err}");
    let err = env.fails(&["volume", "create", "-o", "size=10m", "v3"]);
    assert!(
        err.contains("quota size requested but no quota support"),
        "{err}"
    );

    env.ok(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "-o",
        "o=size=1m,uid=1000",
        "vt",
    ]);
    let opts = env.ok(&["volume", "inspect", "-f", "{{json .Options}}", "vt"]);
    assert_eq!(
        opts.trim(),
        r#"{"device":"tmpfs","o":"size=1m,uid=1000","type":"tmpfs"}"#
    );
    let data = env.ok(&["volume", "inspect", "-f", "{{.Mountpoint}}", "vt"]);
    let data = data.trim();
    assert!(!mounted(data), "nothing mounted before a container uses it");
    // Two containers share the one tmpfs; it goes when the last one stops.
    env.ok(&[
        "run",
        "-d",
        "--name",
        "writer",
        "-v",
        "vt:/t",
        "busybox",
        "sh",
        "-c",
        "echo shared > /t/x; sleep 1000",
    ]);
    let out = env.ok(&[
        "run",
        "--rm",
        "-v",
        "vt:/t",
        "busybox",
        "sh",
        "-c",
        "sleep 0.3; cat /t/x; grep ' /t ' /proc/mounts; stat -c %u /t",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "shared");
    assert!(lines[1].starts_with("tmpfs /t tmpfs"), "{out}");
    assert!(
        lines[1].contains("size=1024k") && lines[1].contains("uid=1000"),
        "{out}"
    );
    assert_eq!(lines[2], "1000");
    assert!(mounted(data), "still mounted while `writer` runs");
    env.ok(&["stop", "-t", "0", "writer"]);
    assert!(!mounted(data), "unmounted with its last user");
    // A tmpfs starts empty each time it is mounted again.
    let out = env.ok(&["run", "--rm", "-v", "vt:/t", "busybox", "ls", "/t"]);
    assert_eq!(out.trim(), "");

    // A bind of a host directory.
    let host = env.d.dir().join("shared-dir");
    std::fs::create_dir_all(&host).expect("dir");
    std::fs::write(host.join("hello"), "from the host\n").expect("file");
    let device = format!("device={}", host.display());
    env.ok(&[
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        &device,
        "-o",
        "o=bind",
        "vb",
    ]);
    let out = env.ok(&["run", "--rm", "-v", "vb:/b", "busybox", "cat", "/b/hello"]);
    assert_eq!(out.trim(), "from the host");
    // A device that cannot be mounted fails the start with dockerd's words.
    env.ok(&[
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        "device=/nonexistent",
        "-o",
        "o=bind",
        "vbad",
    ]);
    let err = env.fails(&["run", "--rm", "-v", "vbad:/b", "busybox", "true"]);
    assert!(err.contains("failed to mount local volume"), "{err}");
}

#[test]
#[ignore = "privileged"]
fn a_volume_device_mount_is_taken_over_after_a_daemon_sigkill() {
    use crate::containers::{BIN, load_busybox, ok};
    use testkit::{NetNs, Wharfd};
    let ns = NetNs::new("volcrash").expect("netns");
    let mut first = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    load_busybox(&first);
    ok(
        &first,
        &[
            "volume",
            "create",
            "-o",
            "type=tmpfs",
            "-o",
            "device=tmpfs",
            "vt",
        ],
    );
    let data = ok(
        &first,
        &["volume", "inspect", "-f", "{{.Mountpoint}}", "vt"],
    );
    let data = data.trim().to_owned();
    ok(
        &first,
        &[
            "run",
            "-d",
            "--name",
            "user",
            "-v",
            "vt:/t",
            "busybox",
            "sh",
            "-c",
            "echo kept > /t/x; sleep 1000",
        ],
    );
    first.kill().expect("SIGKILL wharfd");
    let second = Wharfd::builder(BIN)
        .dir(first.dir())
        .start(&ns)
        .expect("wharfd restarts");
    assert!(
        mounted(&data),
        "the running container's volume stays mounted"
    );
    // Another user shares it (not a second, empty tmpfs) ...
    let out = ok(
        &second,
        &["run", "--rm", "-v", "vt:/t", "busybox", "cat", "/t/x"],
    );
    assert_eq!(out.trim(), "kept");
    // ... and the adopted container's exit still lets go of it.
    ok(&second, &["stop", "-t", "0", "user"]);
    assert!(!mounted(&data), "unmounted with its last user");
}

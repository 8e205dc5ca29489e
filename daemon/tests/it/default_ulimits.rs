//! Limits that reach the container's process and cgroup (issue 13): the daemon's
//! `--default-ulimit` (unless the container sets the same limit) and per-device block I/O limits.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn default_ulimits_apply_unless_the_container_sets_its_own() {
    let env = Env::new("defulimit", &["--default-ulimit", "nofile=1000:2000"]);
    let limits = |args: &[&str]| {
        let mut argv = vec!["run", "--rm"];
        argv.extend_from_slice(args);
        argv.extend(["busybox", "sh", "-c", "ulimit -Sn; ulimit -Hn"]);
        env.ok(&argv).lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(limits(&[]), ["1000", "2000"]);
    assert_eq!(limits(&["--ulimit", "nofile=500:600"]), ["500", "600"]);
    // Not recorded in the container's own HostConfig, as dockerd.
    env.ok(&["create", "--name", "own", "busybox"]);
    let own = env.ok(&["inspect", "-f", "{{json .HostConfig.Ulimits}}", "own"]);
    assert!(own.trim() == "null" || own.trim() == "[]", "{own}");
}

/// A block device of this host (`/dev/NAME`, `MAJOR:MINOR`) from `/sys/block`: an idle loop
/// device first (changing the throttles of a busy disk waits for its queue to drain).
fn a_block_device() -> Option<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/block")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort_by_key(|n| (!n.starts_with("loop"), n.clone()));
    names.into_iter().find_map(|name| {
        let dev = std::fs::read_to_string(format!("/sys/block/{name}/dev")).ok()?;
        let path = format!("/dev/{name}");
        std::path::Path::new(&path)
            .exists()
            .then(|| (path, dev.trim().to_owned()))
    })
}

#[test]
#[ignore = "privileged"]
fn block_io_throttles_reach_the_containers_cgroup() {
    let throttle = "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device";
    let Some((device, numbers)) = a_block_device() else {
        panic!("this host has no block device to throttle");
    };
    if !std::path::Path::new(throttle).exists() {
        // cgroup v2: the unit tests check the spec's values.
        return;
    }
    let env = Env::new("blkio", &[]);
    let read = format!("{device}:1mb");
    let write = format!("{device}:20");
    let out = env.ok(&[
        "run",
        "--rm",
        "--device-read-bps",
        &read,
        "--device-write-iops",
        &write,
        "busybox",
        "cat",
        "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device",
        "/sys/fs/cgroup/blkio/blkio.throttle.write_iops_device",
    ]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [format!("{numbers} 1048576"), format!("{numbers} 20")]
    );
    // A path that is not a block device fails the start.
    let err = env.fails(&[
        "run",
        "--rm",
        "--device-read-bps",
        "/dev/null:1mb",
        "busybox",
        "true",
    ]);
    assert!(err.contains("is not a block device"), "{err}");
}

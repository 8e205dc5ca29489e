//! Resource limits seen from where they act (issue 13): an OOM kill is recorded, a PIDs limit
//! stops forks, memory and CPU limits are in the container's cgroup.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn limits_take_effect() {
    let env = Env::new("limiteffects", &[]);
    let out = env.docker(&[
        "run",
        "--name",
        "hog",
        "-m",
        "16m",
        "--memory-swap",
        "16m",
        "busybox",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
    ]);
    assert_eq!(out.status.code(), Some(137));
    let state = env.ok(&[
        "inspect",
        "-f",
        "{{.State.OOMKilled}} {{.State.ExitCode}}",
        "hog",
    ]);
    assert_eq!(state.trim(), "true 137");

    // Eight background sleeps under a limit of five processes: some forks fail.
    let out = env.docker(&[
        "run",
        "--rm",
        "--pids-limit",
        "5",
        "busybox",
        "sh",
        "-c",
        "i=0; while [ $i -lt 8 ]; do sleep 5 & i=$((i+1)); done; echo forked-all",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("can't fork"), "{stderr}");

    // The cgroup holds the limits (cgroup v1 here; v2 by the unit tests of the spec).
    if std::path::Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists() {
        let out = env.ok(&[
            "run",
            "--rm",
            "-m",
            "64m",
            "--cpus",
            "0.5",
            "busybox",
            "cat",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
            "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
        ]);
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            ["67108864", "50000", "100000"]
        );
    }
}

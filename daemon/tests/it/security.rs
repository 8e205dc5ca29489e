//! Privileges and confinement, seen from inside the container (issue 13): capabilities,
//! `--privileged`, Docker's default seccomp profile and its opt-outs, `no-new-privileges`,
//! `--group-add`, `--ulimit`, `--shm-size`, `--oom-score-adj`, `--sysctl`.

use crate::containers::Env;

/// A line of `/proc/self/status` inside a fresh busybox container run with `args`.
fn status_line(env: &Env, args: &[&str], field: &str) -> String {
    let mut argv = vec!["run", "--rm"];
    argv.extend_from_slice(args);
    argv.extend(["busybox", "grep", field, "/proc/self/status"]);
    let out = env.d.docker_ok(&argv);
    out.split_whitespace().nth(1).unwrap_or_default().to_owned()
}

/// Runs `docker ARGS`, which must fail; its stdout and stderr.
fn failing(env: &Env, args: &[&str]) -> (String, String) {
    let out = env.docker(args);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        !out.status.success(),
        "docker {args:?} should fail: {}",
        text(&out.stdout)
    );
    (text(&out.stdout), text(&out.stderr))
}

/// The bits of capabilities numbered `caps`, as `/proc/self/status` prints them.
fn mask(caps: impl IntoIterator<Item = u32>) -> String {
    format!("{:016x}", caps.into_iter().fold(0u64, |m, c| m | 1 << c))
}

#[test]
#[ignore = "privileged"]
fn capabilities_as_docker_gives_them() {
    let env = Env::new("caps", &[]);
    // Docker's default set: the well-known a80425fb.
    assert_eq!(status_line(&env, &[], "CapEff"), "00000000a80425fb");
    assert_eq!(status_line(&env, &[], "CapBnd"), "00000000a80425fb");
    // Drop all, add one back (without the CAP_ prefix, in lower case).
    assert_eq!(
        status_line(
            &env,
            &["--cap-drop", "ALL", "--cap-add", "net_admin"],
            "CapEff"
        ),
        mask([12])
    );
    // Drop one from the defaults.
    assert_eq!(
        status_line(&env, &["--cap-drop", "CAP_CHOWN"], "CapEff"),
        "00000000a80425fa"
    );
    // Privileged: every capability up to CAP_AUDIT_READ (37), where dockerd 20.10 stops,
    // that the daemon has itself (this test's bounding set is the daemon's).
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let own = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .expect("CapBnd");
    assert_eq!(
        status_line(&env, &["--privileged"], "CapEff"),
        format!("{:016x}", own & ((1 << 38) - 1))
    );
    // A name Docker does not know: refused at create, in dockerd's words.
    let err = env.fails(&["create", "--cap-add", "FOO", "busybox"]);
    assert!(
        err.contains("invalid CapAdd: unknown capability: \"CAP_FOO\""),
        "{err}"
    );
}

#[test]
#[ignore = "privileged"]
fn the_default_seccomp_profile_and_its_opt_outs() {
    let env = Env::new("seccomp", &[]);
    let info = env.ok(&["info", "--format", "{{json .SecurityOptions}}"]);
    assert!(info.contains("name=seccomp,profile=default"), "{info}");
    // Mode 2: a filter is installed; none when unconfined or privileged.
    assert_eq!(status_line(&env, &[], "Seccomp:"), "2");
    assert_eq!(
        status_line(&env, &["--security-opt", "seccomp=unconfined"], "Seccomp:"),
        "0"
    );
    assert_eq!(status_line(&env, &["--privileged"], "Seccomp:"), "0");

    // The profile refuses new namespaces without CAP_SYS_ADMIN: EPERM, not a crash.
    let out = env.docker(&["run", "--rm", "busybox", "unshare", "-U", "true"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Operation not permitted"), "{stderr}");
    // Without the filter the same call works.
    env.ok(&[
        "run",
        "--rm",
        "--security-opt",
        "seccomp=unconfined",
        "busybox",
        "unshare",
        "-U",
        "true",
    ]);

    // A profile of the user's, sent by the CLI as the file's content: mkdir refused with
    // EACCES, everything else allowed.
    let profile = env.d.dir().join("no-mkdir.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#,
    )
    .expect("profile");
    let opt = format!("seccomp={}", profile.display());
    let (_stdout, stderr) = failing(
        &env,
        &[
            "run",
            "--rm",
            "--security-opt",
            &opt,
            "busybox",
            "mkdir",
            "/x",
        ],
    );
    assert!(stderr.contains("Permission denied"), "{stderr}");
    env.ok(&[
        "run",
        "--rm",
        "--security-opt",
        &opt,
        "busybox",
        "touch",
        "/x",
    ]);

    // no-new-privileges.
    assert_eq!(
        status_line(&env, &["--security-opt", "no-new-privileges"], "NoNewPrivs"),
        "1"
    );
    assert_eq!(status_line(&env, &[], "NoNewPrivs"), "0");
    let err = env.fails(&["create", "--security-opt", "foo=bar", "busybox"]);
    assert!(
        err.contains("invalid --security-opt 2: \"foo=bar\""),
        "{err}"
    );
}

#[test]
#[ignore = "privileged"]
fn privileged_sees_devices_and_may_mount() {
    let env = Env::new("privileged", &[]);
    let out = env.ok(&[
        "run",
        "--rm",
        "--privileged",
        "busybox",
        "sh",
        "-c",
        "mkdir /m && mount -t tmpfs none /m && echo mounted; grep ' /sys ' /proc/mounts; \
         ls /dev/loop-control /dev/null; wc -c < /proc/timer_list",
    ]);
    assert!(out.contains("mounted"), "{out}");
    assert!(out.contains("sysfs rw,"), "{out}");
    assert!(out.contains("/dev/null"), "{out}");
    let timer_list: u64 = out
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .parse()
        .expect("size");
    assert!(timer_list > 0, "{out}");
    // Not privileged: no mount, /sys read-only, masked paths masked (/proc/timer_list has
    // text on the host, /dev/null over it in a container).
    let out = env.ok(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "mkdir /m && mount -t tmpfs none /m 2>&1; grep ' /sys ' /proc/mounts; wc -c < /proc/timer_list",
    ]);
    assert!(
        out.contains("Operation not permitted") || out.contains("denied"),
        "{out}"
    );
    assert!(out.contains("sysfs ro,"), "{out}");
    assert!(out.trim_end().ends_with('0'), "{out}");
}

#[test]
#[ignore = "privileged"]
fn process_limits_groups_and_sysctls() {
    let env = Env::new("limits", &[]);
    let out = env.ok(&[
        "run",
        "--rm",
        "--ulimit",
        "nofile=100:200",
        "--shm-size",
        "1m",
        "--oom-score-adj",
        "500",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "--group-add",
        "1234",
        "--group-add",
        "nogroup",
        "busybox",
        "sh",
        "-c",
        "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; \
         cat /proc/sys/net/ipv4/ip_forward; grep ' /dev/shm ' /proc/mounts; id -G",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..4], ["100", "200", "500", "1"], "{out}");
    assert!(lines[4].contains("size=1024k"), "{out}");
    let groups: Vec<&str> = lines[5].split_whitespace().collect();
    assert!(groups.contains(&"1234"), "{out}");
    // The fixture's /etc/group names nogroup 65534.
    assert!(groups.contains(&"65534"), "{out}");
    // A sysctl outside the container's namespaces is refused (by runc, at start).
    let (_stdout, _stderr) = failing(
        &env,
        &[
            "run",
            "--rm",
            "--sysctl",
            "kernel.panic=1",
            "busybox",
            "true",
        ],
    );
}

#[test]
#[ignore = "privileged"]
fn tmpfs_mounts_fill_at_their_size() {
    let env = Env::new("tmpfs", &[]);
    // --tmpfs with a size: full at 1 MiB; Docker's defaults (noexec, nosuid, nodev) apply.
    let (stdout, stderr) = failing(
        &env,
        &[
            "run",
            "--rm",
            "--tmpfs",
            "/t:size=1m",
            "busybox",
            "sh",
            "-c",
            "grep ' /t ' /proc/mounts; dd if=/dev/zero of=/t/f bs=1k count=2048",
        ],
    );
    assert!(
        stdout.contains("tmpfs /t tmpfs rw,nosuid,nodev,noexec"),
        "{stdout}"
    );
    assert!(stdout.contains("size=1024k"), "{stdout}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    // --mount type=tmpfs with size and mode; inspect lists it.
    env.ok(&[
        "create",
        "--name",
        "mt",
        "--mount",
        "type=tmpfs,destination=/scratch,tmpfs-size=2097152,tmpfs-mode=1770",
        "busybox",
        "sh",
        "-c",
        "grep ' /scratch ' /proc/mounts; stat -c %a /scratch",
    ]);
    let mounts = env.ok(&["inspect", "-f", "{{json .Mounts}}", "mt"]);
    assert!(mounts.contains(r#""Type":"tmpfs""#), "{mounts}");
    assert!(mounts.contains(r#""Destination":"/scratch""#), "{mounts}");
    let out = env.ok(&["start", "-a", "mt"]);
    assert!(out.contains("size=2048k"), "{out}");
    assert!(out.contains("mode=1770"), "{out}");
    assert_eq!(out.lines().last(), Some("1770"), "{out}");
    let err = env.fails(&["create", "--tmpfs", "/t", "-v", "/tmp:/t", "busybox"]);
    assert!(err.contains("Duplicate mount point: /t"), "{err}");
}

#[test]
#[ignore = "privileged"]
fn devices_and_device_cgroup_rules() {
    let env = Env::new("devices", &[]);
    // /dev/null under another name, usable; read-only permissions refuse writes.
    env.ok(&[
        "run",
        "--rm",
        "--device",
        "/dev/null:/dev/xnull",
        "busybox",
        "sh",
        "-c",
        "echo hi > /dev/xnull && test -c /dev/xnull",
    ]);
    // Read-only: an unbound loop device (not in Docker's default rules) opens for reading
    // only.
    let (stdout, stderr) = failing(
        &env,
        &[
            "run",
            "--rm",
            "--device",
            "/dev/loop0:/dev/xloop:r",
            "busybox",
            "sh",
            "-c",
            "dd if=/dev/xloop of=/dev/null count=0 && echo read && : > /dev/xloop",
        ],
    );
    assert_eq!(stdout.trim(), "read", "{stderr}");
    assert!(stderr.contains("Operation not permitted"), "{stderr}");
    // A cgroup rule lets a node made inside the container be opened; without it, no.
    let open_loop = "mknod /l b 7 0 && dd if=/l of=/dev/null count=0 && echo opened";
    let out = env.ok(&[
        "run",
        "--rm",
        "--device-cgroup-rule",
        "b 7:0 r",
        "busybox",
        "sh",
        "-c",
        open_loop,
    ]);
    assert_eq!(out.trim(), "opened");
    let out = env.docker(&["run", "--rm", "busybox", "sh", "-c", open_loop]);
    assert!(!out.status.success());
    let (_stdout, stderr) = failing(
        &env,
        &[
            "run",
            "--rm",
            "--device",
            "/dev/nothing-here",
            "busybox",
            "true",
        ],
    );
    assert!(
        stderr.contains("error gathering device information while adding custom device"),
        "{stderr}"
    );
}

#[test]
#[ignore = "privileged"]
fn host_pid_ipc_and_uts_namespaces() {
    let env = Env::new("hostns", &[]);
    let own = |ns: &str| std::fs::read_link(format!("/proc/self/ns/{ns}")).expect("ns link");
    let inside = |args: &[&str], ns: &str| {
        let mut argv = vec!["run", "--rm"];
        argv.extend_from_slice(args);
        let path = format!("/proc/self/ns/{ns}");
        argv.extend(["busybox", "readlink", path.as_str()]);
        env.ok(&argv).trim().to_owned()
    };
    let host_pid = own("pid").display().to_string();
    assert_eq!(inside(&["--pid", "host"], "pid"), host_pid);
    assert_ne!(inside(&[], "pid"), host_pid);
    let host_ipc = own("ipc").display().to_string();
    assert_eq!(inside(&["--ipc", "host"], "ipc"), host_ipc);
    assert_ne!(inside(&[], "ipc"), host_ipc);
    let host_uts = own("uts").display().to_string();
    assert_eq!(inside(&["--uts", "host"], "uts"), host_uts);
    // The host's name inside, and in /etc/hostname.
    let name = nix::unistd::gethostname().expect("hostname");
    let out = env.ok(&[
        "run",
        "--rm",
        "--uts",
        "host",
        "busybox",
        "sh",
        "-c",
        "hostname; cat /etc/hostname",
    ]);
    let want = name.to_string_lossy();
    assert_eq!(out.lines().collect::<Vec<_>>(), [&*want, &*want]);
    // --ipc none: no /dev/shm.
    let out = env.ok(&[
        "run",
        "--rm",
        "--ipc",
        "none",
        "busybox",
        "sh",
        "-c",
        "grep -c ' /dev/shm ' /proc/mounts; true",
    ]);
    assert_eq!(out.trim(), "0");
}

#[test]
#[ignore = "privileged"]
fn init_runs_as_pid_one_and_reaps_zombies() {
    let env = Env::new("init", &[]);
    // The init is PID 1; the command is its child.
    let out = env.ok(&[
        "run",
        "--rm",
        "--init",
        "busybox",
        "sh",
        "-c",
        "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("/sbin/docker-init -- sh -c"), "{out}");
    assert_ne!(lines[1], "1", "{out}");
    // An orphan that exits is reaped by the init: no zombie stays behind.
    let out = env.ok(&[
        "run",
        "--rm",
        "--init",
        "busybox",
        "sh",
        "-c",
        "(sleep 0.2 &) ; sleep 1; grep -l '^State:.Z' /proc/[0-9]*/status | wc -l",
    ]);
    assert_eq!(out.trim(), "0", "{out}");
    // Without an init the shell is PID 1.
    assert_eq!(
        env.ok(&["run", "--rm", "busybox", "sh", "-c", "echo $$"])
            .trim(),
        "1"
    );
    let info = env.ok(&["info", "--format", "{{.InitBinary}}"]);
    assert_eq!(info.trim(), "docker-init");
}

#[test]
#[ignore = "privileged"]
fn the_daemons_init_default() {
    let env = Env::new("initdefault", &["--init"]);
    let out = env.ok(&["run", "--rm", "busybox", "sh", "-c", "echo $$"]);
    assert_ne!(out.trim(), "1", "{out}");
    // A container may still say no.
    let out = env.ok(&[
        "run",
        "--rm",
        "--init=false",
        "busybox",
        "sh",
        "-c",
        "echo $$",
    ]);
    assert_eq!(out.trim(), "1", "{out}");
}

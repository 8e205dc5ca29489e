//! Namespaces shared with another container (issue 13): `--pid container:NAME`,
//! `--ipc container:NAME` with a `shareable` donor's `/dev/shm`, `--cgroupns` and `--userns`.

use crate::containers::Env;

/// `readlink /proc/self/ns/KIND` in a fresh container run with `args`.
fn ns_inside(env: &Env, args: &[&str], kind: &str) -> String {
    let mut argv = vec!["run", "--rm"];
    argv.extend_from_slice(args);
    let path = format!("/proc/self/ns/{kind}");
    argv.extend(["busybox", "readlink", path.as_str()]);
    env.ok(&argv).trim().to_owned()
}

#[test]
#[ignore = "privileged"]
fn joining_another_containers_pid_and_ipc_namespaces() {
    let env = Env::new("joinns", &[]);
    env.ok(&["run", "-d", "--name", "donor", "busybox", "sleep", "1000"]);
    // Its processes are seen from a container in its PID namespace.
    let ps = env.ok(&["run", "--rm", "--pid", "container:donor", "busybox", "ps"]);
    assert!(ps.contains("sleep 1000"), "{ps}");
    let donor_pid_ns = env.ok(&["exec", "donor", "readlink", "/proc/self/ns/pid"]);
    assert_eq!(
        ns_inside(&env, &["--pid", "container:donor"], "pid"),
        donor_pid_ns.trim()
    );
    // Recorded by the donor's full ID, as dockerd does.
    let id = env.ok(&["inspect", "-f", "{{.Id}}", "donor"]);
    env.ok(&[
        "create",
        "--name",
        "joiner",
        "--pid",
        "container:donor",
        "busybox",
    ]);
    let mode = env.ok(&["inspect", "-f", "{{.HostConfig.PidMode}}", "joiner"]);
    assert_eq!(mode.trim(), format!("container:{}", id.trim()));

    // A private IPC namespace cannot be joined.
    let err = env.fails(&["run", "--rm", "--ipc", "container:donor", "busybox", "true"]);
    assert!(err.contains("non-shareable IPC"), "{err}");
    // A shareable one can, with its /dev/shm.
    env.ok(&[
        "run",
        "-d",
        "--name",
        "shared",
        "--ipc",
        "shareable",
        "busybox",
        "sleep",
        "1000",
    ]);
    env.ok(&["exec", "shared", "sh", "-c", "echo from-donor > /dev/shm/x"]);
    let out = env.ok(&[
        "run",
        "--rm",
        "--ipc",
        "container:shared",
        "busybox",
        "sh",
        "-c",
        "cat /dev/shm/x; echo from-joiner > /dev/shm/y",
    ]);
    assert_eq!(out.trim(), "from-donor");
    assert_eq!(
        env.ok(&["exec", "shared", "cat", "/dev/shm/y"]).trim(),
        "from-joiner"
    );
    let donor_ipc = env.ok(&["exec", "shared", "readlink", "/proc/self/ns/ipc"]);
    assert_eq!(
        ns_inside(&env, &["--ipc", "container:shared"], "ipc"),
        donor_ipc.trim()
    );

    // A donor that does not exist, or that is not running.
    let err = env.fails(&[
        "run",
        "--rm",
        "--pid",
        "container:nosuch",
        "busybox",
        "true",
    ]);
    assert!(err.contains("No such container: nosuch"), "{err}");
    env.ok(&["stop", "-t", "0", "donor", "shared"]);
    let err = env.fails(&["start", "joiner"]);
    assert!(
        err.contains(&format!("container {} is not running", id.trim())),
        "{err}"
    );
    let err = env.fails(&[
        "run",
        "--rm",
        "--ipc",
        "container:shared",
        "busybox",
        "true",
    ]);
    assert!(err.contains("can't join IPC of container"), "{err}");
    // The stopped donor's /dev/shm was unmounted with its run, and a new run starts empty.
    let out = env.ok(&["start", "shared"]);
    assert_eq!(out.trim(), "shared");
    let out = env.ok(&["exec", "shared", "ls", "/dev/shm"]);
    assert_eq!(out.trim(), "");
}

#[test]
#[ignore = "privileged"]
fn cgroup_and_user_namespaces() {
    let env = Env::new("cgroupns", &[]);
    let own = std::fs::read_link("/proc/self/ns/cgroup").expect("ns link");
    let own = own.display().to_string();
    // cgroup v1 (this host): the host's by default, as dockerd.
    assert_eq!(ns_inside(&env, &["--cgroupns", "host"], "cgroup"), own);
    assert_ne!(ns_inside(&env, &["--cgroupns", "private"], "cgroup"), own);
    // Inside a private one, the container's own cgroup is the root.
    let out = env.ok(&[
        "run",
        "--rm",
        "--cgroupns",
        "private",
        "busybox",
        "cat",
        "/proc/self/cgroup",
    ]);
    assert!(
        out.lines().all(|l| l.ends_with(":/")),
        "every hierarchy rooted at the container's cgroup: {out}"
    );
    // Options that would have no effect are said to, not dropped silently.
    let out = env.docker(&[
        "run",
        "--rm",
        "--security-opt",
        "label=disable",
        "busybox",
        "true",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("WARNING: --security-opt label=disable has no effect"),
        "{err}"
    );
    // No user namespace remapping: `host` is what every container gets (the CLI refuses other
    // words itself; the daemon's refusal of them is a unit test).
    let own_user = std::fs::read_link("/proc/self/ns/user").expect("ns link");
    assert_eq!(
        ns_inside(&env, &["--userns", "host"], "user"),
        own_user.display().to_string()
    );
}

#[test]
#[ignore = "privileged"]
fn joining_another_containers_network() {
    let env = Env::new("joinnet", &[]);
    env.ok(&[
        "run", "-d", "--name", "netdonor", "busybox", "sleep", "1000",
    ]);
    let ip = env.ok(&[
        "inspect",
        "-f",
        "{{.NetworkSettings.IPAddress}}",
        "netdonor",
    ]);
    let id = env.ok(&["inspect", "-f", "{{.Id}}", "netdonor"]);
    let (ip, id) = (ip.trim().to_owned(), id.trim().to_owned());
    let donor_ns = env.ok(&["exec", "netdonor", "readlink", "/proc/self/ns/net"]);
    let out = env.ok(&[
        "run",
        "--rm",
        "--network",
        "container:netdonor",
        "busybox",
        "sh",
        "-c",
        "readlink /proc/self/ns/net; hostname; ip -4 -o addr show eth0",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], donor_ns.trim());
    assert_eq!(lines[1], &id[..12], "the donor's host name");
    assert!(lines[2].contains(&format!("inet {ip}/")), "{out}");
    // No network of its own to show, and none to connect to.
    env.ok(&[
        "create",
        "--name",
        "joined",
        "--network",
        "container:netdonor",
        "busybox",
        "true",
    ]);
    let nets = env.ok(&[
        "inspect",
        "-f",
        "{{json .NetworkSettings.Networks}}",
        "joined",
    ]);
    assert_eq!(nets.trim(), "{}");
    let err = env.fails(&["network", "connect", "bridge", "joined"]);
    assert!(
        err.contains("container sharing network namespace with another container or host"),
        "{err}"
    );
    env.ok(&["stop", "-t", "0", "netdonor"]);
    let err = env.fails(&["start", "joined"]);
    assert!(
        err.contains(&format!(
            "cannot join network of a non running container: {id}"
        )),
        "{err}"
    );
}

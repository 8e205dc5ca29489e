//! pause/unpause, rename, top, stats, update and port through the real CLI: what the user sees
//! (the CLI's output and errors), and the effect on the container (its frozen processes, its
//! cgroup limits), also across a SIGKILLed daemon.

use std::process::Output;
use std::time::{Duration, Instant};

use testkit::{NetNs, Wharfd, require_privileged};

use crate::containers::{Env, load_busybox};

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

/// The CLI's output for a command that must fail: its stderr.
fn fails(d: &Wharfd, args: &[&str]) -> String {
    let out: Output = d.docker(args).expect("docker runs");
    assert!(!out.status.success(), "docker {args:?} should fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `docker rename` adds a line of its own ("Error: failed to rename container named x").
    stderr.lines().next().unwrap_or_default().to_owned()
}

fn ok(d: &Wharfd, args: &[&str]) -> String {
    d.docker_ok(args).trim().to_owned()
}

fn inspect(d: &Wharfd, format: &str, name: &str) -> String {
    ok(d, &["inspect", "-f", format, name])
}

/// The log lines a counting container has written so far.
fn lines(d: &Wharfd, name: &str) -> usize {
    ok(d, &["logs", name]).lines().count()
}

/// A cgroup v1 file of the container's init process (`controller` as in `/proc/PID/cgroup`).
fn cgroup_file(d: &Wharfd, name: &str, controller: &str, file: &str) -> String {
    let pid = inspect(d, "{{.State.Pid}}", name);
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("/proc/PID/cgroup");
    let path = cgroups
        .lines()
        .find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
            ctrls
                .split(',')
                .any(|c| c == controller)
                .then(|| path.to_owned())
        })
        .unwrap_or_else(|| panic!("no {controller} cgroup in {cgroups}"));
    // This host mounts each v1 controller on its own directory.
    let full = format!("/sys/fs/cgroup/{controller}{path}/{file}");
    std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("{full}: {e}"))
        .trim()
        .to_owned()
}

const COUNT: &str = "trap 'exit 0' TERM; i=0; while true; do echo $i; i=$((i+1)); sleep 0.05; done";

#[test]
#[ignore = "privileged"]
fn pause_freezes_and_unpause_thaws() {
    let env = Env::new("pause", &[]);
    let d = &env.d;
    let id = ok(
        d,
        &[
            "run", "-d", "--name", "counter", "busybox", "sh", "-c", COUNT,
        ],
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(ok(d, &["pause", "counter"]), "counter");
    let state = "{{.State.Status}} {{.State.Running}} {{.State.Paused}}";
    assert_eq!(inspect(d, state, "counter"), "paused true true");
    let ps = ok(d, &["ps", "--format", "{{.Names}} {{.Status}}"]);
    assert!(
        ps.starts_with("counter Up ") && ps.ends_with("(Paused)"),
        "{ps}"
    );
    let ps = ok(
        d,
        &["ps", "--filter", "status=paused", "--format", "{{.Names}}"],
    );
    assert_eq!(ps, "counter");

    // Frozen: nothing more is written while it is paused.
    let before = lines(d, "counter");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        lines(d, "counter"),
        before,
        "a paused container kept running"
    );

    assert_eq!(
        fails(d, &["pause", "counter"]),
        format!("Error response from daemon: Container {id} is already paused")
    );
    assert!(
        fails(d, &["start", "counter"]).contains("cannot start a paused container"),
        "start of a paused container"
    );
    assert!(
        fails(d, &["rm", "counter"]).contains("container is paused and must be unpaused first"),
        "rm of a paused container"
    );

    assert_eq!(ok(d, &["unpause", "counter"]), "counter");
    assert_eq!(inspect(d, state, "counter"), "running true false");
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        lines(d, "counter") > before,
        "an unpaused container stayed frozen"
    );
    assert_eq!(
        fails(d, &["unpause", "counter"]),
        format!("Error response from daemon: Container {id} is not paused")
    );

    // A stopped container can be neither paused nor unpaused.
    let stopped = ok(d, &["create", "--name", "idle", "busybox", "true"]);
    assert_eq!(
        fails(d, &["pause", "idle"]),
        format!("Error response from daemon: Container {stopped} is not running")
    );

    // stop, kill and rm -f thaw a paused container so it ends at once.
    ok(d, &["pause", "counter"]);
    let t = Instant::now();
    ok(d, &["stop", "-t", "5", "counter"]);
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "stop waited for the timeout"
    );
    assert_eq!(inspect(d, "{{.State.Status}}", "counter"), "exited");
    ok(d, &["start", "counter"]);
    ok(d, &["pause", "counter"]);
    ok(d, &["kill", "counter"]);
    assert_eq!(
        inspect(d, "{{.State.Status}} {{.State.ExitCode}}", "counter"),
        "exited 137"
    );
    ok(d, &["start", "counter"]);
    ok(d, &["pause", "counter"]);
    ok(d, &["rm", "-f", "counter"]);
    assert_eq!(ok(d, &["ps", "-aq", "--filter", "name=counter"]), "");
}

#[test]
#[ignore = "privileged"]
fn paused_containers_and_new_names_survive_a_daemon_restart() {
    require_privileged();
    let ns = NetNs::new("pauserst").expect("netns");
    let mut first = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    load_busybox(&first);
    let id = ok(
        &first,
        &["run", "-d", "--name", "old", "busybox", "sh", "-c", COUNT],
    );
    ok(&first, &["create", "--name", "other", "busybox", "true"]);

    assert_eq!(ok(&first, &["rename", "old", "new"]), "");
    assert_eq!(inspect(&first, "{{.Name}}", &id), "/new");
    assert!(fails(&first, &["inspect", "old"]).contains("No such object: old"));
    let taken = fails(&first, &["rename", "new", "other"]);
    let other = inspect(&first, "{{.Id}}", "other");
    assert_eq!(
        taken,
        format!(
            "Error response from daemon: Error when allocating new name: Conflict. The \
             container name \"/other\" is already in use by container \"{other}\". You have to \
             remove (or rename) that container to be able to reuse that name."
        )
    );
    assert_eq!(
        fails(&first, &["rename", "new", "new"]),
        "Error response from daemon: Renaming a container with the same name as its current name"
    );
    assert_eq!(
        fails(&first, &["rename", "new", "a b"]),
        "Error response from daemon: Error when allocating new name: Invalid container name \
         (/a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
    );
    assert_eq!(
        fails(&first, &["rename", "nosuch", "x1"]),
        "Error response from daemon: No such container: nosuch"
    );
    // The old name is free again.
    ok(&first, &["create", "--name", "old", "busybox", "true"]);

    ok(&first, &["pause", "new"]);
    first.kill().expect("SIGKILL wharfd");
    let second = Wharfd::builder(BIN)
        .dir(first.dir())
        .start(&ns)
        .expect("wharfd restarts");
    let state = "{{.Name}} {{.State.Status}} {{.State.Paused}}";
    assert_eq!(inspect(&second, state, &id), "/new paused true");
    let before = lines(&second, "new");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(lines(&second, "new"), before, "frozen across the restart");
    ok(&second, &["unpause", "new"]);
    std::thread::sleep(Duration::from_millis(400));
    assert!(lines(&second, "new") > before);
    ok(&second, &["rm", "-f", "new"]);
}

#[test]
#[ignore = "privileged"]
fn top_lists_the_containers_processes() {
    let env = Env::new("top", &[]);
    let d = &env.d;
    let id = ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "tt",
            "busybox",
            "sh",
            "-c",
            "sleep 300 & sleep 301",
        ],
    );
    std::thread::sleep(Duration::from_millis(200));
    let top = ok(d, &["top", "tt"]);
    let mut rows = top.lines();
    let titles: Vec<&str> = rows.next().expect("titles").split_whitespace().collect();
    assert_eq!(
        titles,
        ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    );
    let cmds: Vec<String> = rows
        .map(|r| r.split_whitespace().skip(7).collect::<Vec<_>>().join(" "))
        .collect();
    // sh runs its last command in its own place: two processes.
    assert_eq!(cmds.len(), 2, "{top}");
    assert!(cmds.iter().any(|c| c == "sleep 300"), "{top}");
    assert!(cmds.iter().any(|c| c == "sleep 301"), "{top}");
    let pid = inspect(d, "{{.State.Pid}}", "tt");
    assert!(top.contains(&format!(" {pid} ")), "{top}");

    let custom = ok(d, &["top", "tt", "-o", "pid,comm"]);
    assert!(custom.starts_with("PID"), "{custom}");
    assert_eq!(custom.lines().count(), 3, "{custom}");
    assert!(custom.contains("sleep"), "{custom}");
    assert!(
        fails(d, &["top", "tt", "-o", "user=PID"])
            .ends_with("specifying \"user=PID\" is not allowed")
    );

    ok(d, &["pause", "tt"]);
    assert_eq!(
        ok(d, &["top", "tt"]).lines().count(),
        3,
        "top of a paused container"
    );
    ok(d, &["unpause", "tt"]);
    ok(d, &["kill", "tt"]);
    assert_eq!(
        fails(d, &["top", "tt"]),
        format!("Error response from daemon: Container {id} is not running")
    );
}

#[test]
#[ignore = "privileged"]
fn stats_show_cpu_memory_network_and_pids() {
    let env = Env::new("stats", &[]);
    let d = &env.d;
    ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "busy",
            "busybox",
            "sh",
            "-c",
            "while :; do :; done",
        ],
    );
    ok(
        d,
        &[
            "run", "-d", "--name", "idle", "-m", "64m", "busybox", "sleep", "300",
        ],
    );
    ok(d, &["create", "--name", "never", "busybox", "true"]);
    std::thread::sleep(Duration::from_millis(500));

    let format = "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDs}}";
    let t = Instant::now();
    let table = ok(d, &["stats", "--no-stream", "--format", format]);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "stats took {:?}",
        t.elapsed()
    );
    let row = |name: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name}|")))
            .unwrap_or_else(|| panic!("no {name} in {table}"))
            .split('|')
            .map(str::to_owned)
            .collect()
    };
    let busy = row("busy");
    let cpu: f64 = busy[1].trim_end_matches('%').parse().expect("a percentage");
    // Well above an idle container, though the host's other work competes for the CPUs.
    assert!(cpu > 10.0, "a busy loop at {cpu}%: {table}");
    assert_eq!(busy[5], "1");
    let idle = row("idle");
    assert!(idle[2].ends_with(" / 64MiB"), "{table}");
    let cpu: f64 = idle[1].trim_end_matches('%').parse().expect("a percentage");
    assert!(cpu < 5.0, "an idle container at {cpu}%: {table}");
    assert!(idle[3].contains(" / "), "{table}");
    assert!(!table.contains("never"), "only running containers: {table}");

    // The JSON, from the API: v1 memory figures, the network of its namespace, no priming
    // sample with one-shot; an empty sample for a container that is not running.
    let get = |path: &str| -> serde_json::Value {
        let r = d.request("GET", path, None).expect("request");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        serde_json::from_slice(&r.body).expect("json")
    };
    let s = get("/containers/idle/stats?stream=false");
    assert_eq!(s["name"], "/idle");
    assert!(
        s["memory_stats"]["stats"]
            .get("total_inactive_file")
            .is_some(),
        "{s}"
    );
    assert_eq!(s["memory_stats"]["limit"], 64 << 20);
    assert!(s["networks"]["eth0"]["rx_bytes"].is_u64(), "{s}");
    assert!(s["networks"].get("lo").is_none());
    assert!(
        s["precpu_stats"]["system_cpu_usage"].as_u64() > Some(0),
        "{s}"
    );
    assert_eq!(s["pids_stats"]["current"], 1);
    let one = get("/containers/idle/stats?stream=false&one-shot=true");
    assert_eq!(one["preread"], "0001-01-01T00:00:00Z");
    assert!(one["cpu_stats"]["system_cpu_usage"].as_u64() > Some(0));
    let never = get("/containers/never/stats?stream=false");
    assert_eq!(never["read"], "0001-01-01T00:00:00Z");
    assert_eq!(never["name"], "/never");
    assert_eq!(never["memory_stats"], serde_json::json!({}));
    let both = d
        .request(
            "GET",
            "/containers/idle/stats?stream=true&one-shot=true",
            None,
        )
        .expect("request");
    assert_eq!(both.status, 400);
}

#[test]
#[ignore = "privileged"]
fn update_changes_limits_live_and_the_restart_policy() {
    let env = Env::new("update", &[]);
    let d = &env.d;
    ok(
        d,
        &[
            "run", "-d", "--name", "uu", "-m", "64m", "busybox", "sleep", "300",
        ],
    );
    assert_eq!(
        cgroup_file(d, "uu", "memory", "memory.limit_in_bytes"),
        "67108864"
    );

    let out = ok(
        d,
        &[
            "update",
            "--memory",
            "96m",
            "--memory-swap",
            "192m",
            "--cpus",
            "0.5",
            "--pids-limit",
            "20",
            "--cpu-shares",
            "512",
            "--restart",
            "on-failure:3",
            "uu",
        ],
    );
    assert_eq!(out, "uu");
    assert_eq!(
        cgroup_file(d, "uu", "memory", "memory.limit_in_bytes"),
        "100663296"
    );
    assert_eq!(cgroup_file(d, "uu", "cpu", "cpu.cfs_quota_us"), "50000");
    assert_eq!(cgroup_file(d, "uu", "cpu", "cpu.shares"), "512");
    assert_eq!(cgroup_file(d, "uu", "pids", "pids.max"), "20");
    let hc = "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} \
              {{.HostConfig.PidsLimit}} {{.HostConfig.CpuShares}} \
              {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}";
    assert_eq!(
        inspect(d, hc, "uu"),
        "100663296 201326592 500000000 20 512 on-failure:3"
    );

    let id = inspect(d, "{{.Id}}", "uu");
    assert_eq!(
        fails(d, &["update", "--memory", "512m", "uu"]),
        format!(
            "Error response from daemon: Cannot update container {id}: Memory limit should be \
             smaller than already set memoryswap limit, update the memoryswap at the same time"
        )
    );
    assert_eq!(
        fails(d, &["update", "--cpu-period", "50000", "uu"]),
        format!(
            "Error response from daemon: Cannot update container {id}: Conflicting options: CPU \
             Period cannot be updated as NanoCPUs has already been set"
        )
    );
    assert_eq!(
        fails(d, &["update", "--memory", "1m", "uu"]),
        "Error response from daemon: Minimum memory limit allowed is 6MB"
    );
    ok(d, &["update", "--pids-limit", "-1", "uu"]);
    assert_eq!(cgroup_file(d, "uu", "pids", "pids.max"), "max");

    // The cpuset, memory reservation and block IO weight change live too.
    ok(
        d,
        &[
            "update",
            "--cpuset-cpus",
            "0",
            "--memory-reservation",
            "32m",
            "uu",
        ],
    );
    assert_eq!(cgroup_file(d, "uu", "cpuset", "cpuset.cpus"), "0");
    assert_eq!(
        cgroup_file(d, "uu", "memory", "memory.soft_limit_in_bytes"),
        "33554432"
    );
    assert_eq!(
        inspect(d, "{{json .HostConfig.MemorySwappiness}}", "uu"),
        "null"
    );

    // A stopped container's limits are recorded and applied at its next start.
    ok(d, &["stop", "-t", "0", "uu"]);
    ok(d, &["update", "--memory", "48m", "uu"]);
    ok(d, &["start", "uu"]);
    assert_eq!(
        cgroup_file(d, "uu", "memory", "memory.limit_in_bytes"),
        "50331648"
    );
    ok(d, &["rm", "-f", "uu"]);

    // A new restart policy applies at the container's next exit.
    ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "rr",
            "busybox",
            "sh",
            "-c",
            "sleep 1; exit 3",
        ],
    );
    ok(d, &["update", "--restart", "always", "rr"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while inspect(d, "{{.RestartCount}}", "rr") == "0" {
        assert!(
            Instant::now() < deadline,
            "the updated policy did not restart it"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    ok(d, &["rm", "-f", "rr"]);

    ok(
        d,
        &[
            "run", "-d", "--rm", "--name", "auto", "busybox", "sleep", "300",
        ],
    );
    let auto = inspect(d, "{{.Id}}", "auto");
    assert_eq!(
        fails(d, &["update", "--restart", "always", "auto"]),
        format!(
            "Error response from daemon: Cannot update container {auto}: Restart policy cannot \
             be updated because AutoRemove is enabled for the container"
        )
    );
}

#[test]
#[ignore = "privileged"]
fn port_lists_the_published_ports() {
    let env = Env::new("port", &[]);
    let d = &env.d;
    ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "pp",
            "-p",
            "8080:80",
            "-p",
            "127.0.0.1::53/udp",
            "--expose",
            "99",
            "busybox",
            "sleep",
            "300",
        ],
    );
    let all = ok(d, &["port", "pp"]);
    let mut lines: Vec<&str> = all.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines.len(), 2, "{all}");
    assert!(lines[0].starts_with("53/udp -> 127.0.0.1:"), "{all}");
    assert_eq!(lines[1], "80/tcp -> 0.0.0.0:8080");
    assert_eq!(ok(d, &["port", "pp", "80"]), "0.0.0.0:8080");
    ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "vol",
            "-v",
            "data:/data",
            "busybox",
            "sleep",
            "300",
        ],
    );
    let names = |filter: &str| ok(d, &["ps", "--filter", filter, "--format", "{{.Names}}"]);
    assert_eq!(names("publish=8080"), "pp");
    assert_eq!(names("publish=8000-8090/tcp"), "pp");
    assert_eq!(names("publish=80"), "");
    assert_eq!(names("expose=80"), "pp");
    assert_eq!(names("expose=99"), "pp");
    assert_eq!(names("expose=53/udp"), "pp");
    assert_eq!(names("volume=data"), "vol");
    assert_eq!(names("volume=/data"), "vol");
    assert_eq!(names("health=healthy"), "");
    assert_eq!(names("is-task=true"), "");
    assert_eq!(names("isolation=hyperv"), "");
    let mut all: Vec<String> = names("health=none").lines().map(str::to_owned).collect();
    all.sort();
    assert_eq!(all, ["pp", "vol"]);
    assert_eq!(names("is-task=false").lines().count(), 2);
    assert_eq!(ok(d, &["port", "pp", "80/tcp"]), "0.0.0.0:8080");
    assert_eq!(
        fails(d, &["port", "pp", "99"]),
        "Error: No public port '99' published for pp"
    );
}

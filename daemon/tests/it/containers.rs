//! Privileged container tests: the real CLI runs busybox containers on a `wharfd` in a network
//! namespace of the test's. Each test has its own namespace, daemon and data root; the guards
//! remove containers, mounts and the namespace even when a test fails.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use testkit::fixtures;
use testkit::{DOCKER_CLI, NetNs, Wharfd, require_privileged};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

/// A daemon with the busybox image loaded. Fields drop in order: the daemon (and its
/// containers) before its namespace.
pub(crate) struct Env {
    pub(crate) d: Wharfd,
    ns: NetNs,
}

impl Env {
    pub(crate) fn new(tag: &str, args: &[&str]) -> Env {
        require_privileged();
        let ns = NetNs::new(tag).expect("netns");
        let d = Wharfd::builder(BIN)
            .args(args.iter().copied())
            .start(&ns)
            .expect("wharfd starts");
        let env = Env { d, ns };
        load_busybox(&env.d);
        env
    }

    pub(crate) fn docker(&self, args: &[&str]) -> Output {
        self.d.docker(args).expect("docker runs")
    }

    /// Runs the CLI and returns its stdout; fails the test if it fails.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        ok(&self.d, args)
    }

    /// Runs the CLI, which must fail, and returns its stderr.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        assert!(!out.status.success(), "docker {args:?} should fail");
        text(&out.stderr)
    }

    /// The test's namespace, for a second daemon on the same directory.
    pub(crate) fn ns(&self) -> &NetNs {
        &self.ns
    }
}

pub(crate) fn load_busybox(d: &Wharfd) {
    let archive = d.dir().join("busybox.tar");
    fixtures::busybox()
        .expect("busybox fixture")
        .write_docker_archive(&archive)
        .expect("write fixture");
    let out = ok(d, &["load", "-i", archive.to_str().expect("utf-8")]);
    assert_eq!(out.trim(), "Loaded image: busybox:latest");
}

pub(crate) fn ok(d: &Wharfd, args: &[&str]) -> String {
    d.docker_ok(args)
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Waits for `cmd` with a deadline, killing it (by its PID) if it overruns.
fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("{cmd:?} did not finish within {limit:?}");
        }
    }
}

/// `GET /` on `addr` from inside the test's namespace, on a thread that enters it; the body, or
/// the error.
pub(crate) fn try_http_get(ns: &NetNs, addr: &str) -> Result<String, String> {
    let ns_file = std::fs::File::open(ns.path()).map_err(|e| e.to_string())?;
    let addr = addr.to_owned();
    std::thread::spawn(move || {
        nix::sched::setns(&ns_file, nix::sched::CloneFlags::CLONE_NEWNET)
            .map_err(|e| e.to_string())?;
        let sock: std::net::SocketAddr = addr.parse().map_err(|e| format!("{e}"))?;
        let mut s = std::net::TcpStream::connect_timeout(&sock, Duration::from_secs(2))
            .map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(2)))
            .map_err(|e| e.to_string())?;
        s.write_all(format!("GET / HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
            .map_err(|e| e.to_string())?;
        let mut resp = String::new();
        std::io::Read::read_to_string(&mut s, &mut resp).map_err(|e| e.to_string())?;
        match resp.split_once("\r\n\r\n") {
            Some((head, body)) if head.starts_with("HTTP/1.") && head.contains(" 200 ") => {
                Ok(body.to_owned())
            }
            _ => Err(format!("unexpected response: {resp}")),
        }
    })
    .join()
    .map_err(|_| "the client thread panicked".to_owned())?
}

/// [`try_http_get`], retried for a few seconds while the server starts.
fn http_get(ns: &NetNs, addr: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match try_http_get(ns, addr) {
            Ok(body) => return body,
            Err(e) if Instant::now() > deadline => panic!("GET http://{addr}/: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

#[test]
#[ignore = "privileged"]
fn run_exit_codes_stdin_rm_rmi_and_info() {
    let env = Env::new("run", &[]);

    let out = env.docker(&["run", "--rm", "busybox", "echo", "hi"]);
    assert_eq!(code(&out), Some(0), "{}{}", text(&out.stderr), env.d.log());
    assert_eq!(text(&out.stdout), "hi\n");
    assert_eq!(env.ok(&["ps", "-aq"]), "", "--rm removed the container");
    let out = env.docker(&["run", "--rm", "busybox", "sh", "-c", "exit 3"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out.stderr));

    let out = env.docker(&[
        "run",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(code(&out), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "out\n");
    assert_eq!(text(&out.stderr), "err\n");

    let out = env.docker(&["run", "busybox", "nosuchcmd"]);
    assert_eq!(code(&out), Some(127));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "docker: Error response from daemon: failed to create task for container: failed \
             to create shim task: OCI runtime create failed: runc create failed: unable to \
             start container process: exec: \"nosuchcmd\": executable file not found in $PATH: \
             unknown"
        ),
        "{err}"
    );
    let out = env.docker(&["run", "--rm", "busybox", "/etc"]);
    assert_eq!(code(&out), Some(126), "{}", text(&out.stderr));

    let mut cat = env
        .d
        .docker_command(&["run", "--rm", "-i", "busybox", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker run -i");
    cat.stdin
        .take()
        .expect("stdin")
        .write_all(b"line1\nline2\n")
        .expect("write stdin");
    let out = cat.wait_with_output().expect("cat");
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "line1\nline2\n");

    // The container that exited 3 and the one that could not start are left.
    let ps = env.ok(&[
        "ps",
        "-a",
        "--no-trunc",
        "--format",
        "{{.Status}}|{{.Command}}",
    ]);
    let lines: Vec<&str> = ps.lines().collect();
    assert_eq!(lines.len(), 2, "{ps}");
    assert_eq!(lines[0], "Created|\"nosuchcmd\"");
    assert!(
        lines[1].starts_with("Exited (3) ")
            && lines[1].ends_with("|\"sh -c 'echo out; echo err >&2; exit 3'\""),
        "{ps}"
    );

    // `docker run --rm busybox true`, timed.
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        env.ok(&["run", "--rm", "busybox", "true"]);
        times.push(t.elapsed());
    }
    eprintln!("docker run --rm busybox true: {times:?}");

    // Images in use cannot be removed.
    let id = env.ok(&["run", "-d", "busybox", "sleep", "300"]);
    let short = &id[..12];
    let image = env.ok(&["image", "inspect", "-f", "{{.Id}}", "busybox"]);
    let image_short = &image.trim().trim_start_matches("sha256:")[..12];
    let err = env.fails(&["rmi", "busybox"]);
    assert!(
        err.contains(&format!(
            "conflict: unable to remove repository reference \"busybox\" (must force) - \
             container {short} is using its referenced image {image_short}"
        )),
        "{err}"
    );
    let err = env.fails(&["rmi", "-f", image.trim()]);
    assert!(
        err.contains(&format!(
            "conflict: unable to delete {image_short} (cannot be forced) - image is being used \
             by running container {short}"
        )),
        "{err}"
    );
    let info = env.ok(&[
        "info",
        "-f",
        "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}}",
    ]);
    assert_eq!(info.trim(), "3 1 2");
    env.ok(&["rm", "-f", short]);
}

#[test]
#[ignore = "privileged"]
fn web_logs_stop_kill_wait_rm_and_ps() {
    let env = Env::new("web", &[]);

    // A web server published on 8080, reached on the namespace's loopback.
    env.ok(&[
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        "8080:80",
        "-l",
        "role=web",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /www && echo hello from wharf > /www/index.html && exec httpd -f -p 80 -h /www",
    ]);
    assert_eq!(http_get(&env.ns, "127.0.0.1:8080"), "hello from wharf\n");
    assert_eq!(
        env.ok(&["port", "web"]).lines().next(),
        Some("80/tcp -> 0.0.0.0:8080")
    );
    let inspect = env.ok(&[
        "inspect",
        "-f",
        "{{.Name}} {{.State.Status}} {{.State.Running}} {{.HostConfig.LogConfig.Type}} \
         {{.NetworkSettings.Networks.bridge.IPPrefixLen}} {{.NetworkSettings.Networks.bridge.Gateway}} {{len .Mounts}}",
        "web",
    ]);
    assert_eq!(
        inspect.trim(),
        "/web running true json-file 16 172.17.0.1 0"
    );
    let ip = env.ok(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"]);
    assert!(ip.trim().starts_with("172.17.0."), "{ip}");
    assert_eq!(
        http_get(&env.ns, &format!("{}:80", ip.trim())),
        "hello from wharf\n"
    );

    // Logs: both streams, tail, timestamps, follow until the container ends.
    env.ok(&[
        "run",
        "-d",
        "--name",
        "talker",
        "busybox",
        "sh",
        "-c",
        "echo one; echo two >&2; sleep 0.1; echo three; sleep 300",
    ]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let out = loop {
        let out = env.docker(&["logs", "talker"]);
        if text(&out.stdout) == "one\nthree\n" || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(text(&out.stdout), "one\nthree\n");
    assert_eq!(text(&out.stderr), "two\n");
    assert_eq!(env.ok(&["logs", "--tail", "1", "talker"]), "three\n");
    let ts = env.ok(&["logs", "-t", "--tail", "1", "talker"]);
    assert!(
        ts.ends_with("Z three\n") && ts.len() == "2026-11-28T04:45:19.462964806Z three\n".len(),
        "{ts}"
    );

    env.ok(&[
        "run",
        "-d",
        "--name",
        "ticker",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3; do echo tick $i; sleep 0.3; done",
    ]);
    let t = Instant::now();
    let out = output_within(
        env.d.docker_command(&["logs", "-f", "ticker"]),
        Duration::from_secs(15),
    );
    assert_eq!(text(&out.stdout), "tick 1\ntick 2\ntick 3\n");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "logs -f ended {:?} after",
        t.elapsed()
    );

    // stop: SIGTERM is ignored by a PID 1 without a handler, so SIGKILL after 1 s; a trap on
    // TERM exits by itself.
    env.ok(&["run", "-d", "--name", "sleeper", "busybox", "sleep", "300"]);
    let t = Instant::now();
    assert_eq!(env.ok(&["stop", "-t", "1", "sleeper"]).trim(), "sleeper");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "stop took {took:?}"
    );
    assert_eq!(
        env.ok(&["inspect", "-f", "{{.State.ExitCode}}", "sleeper"])
            .trim(),
        "137"
    );
    env.ok(&[
        "run",
        "-d",
        "--name",
        "trapper",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 0' TERM; while true; do sleep 0.1; done",
    ]);
    let t = Instant::now();
    env.ok(&["stop", "trapper"]);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "stop took {:?}",
        t.elapsed()
    );
    assert_eq!(
        env.ok(&["inspect", "-f", "{{.State.ExitCode}}", "trapper"])
            .trim(),
        "0"
    );
    // Stopping a stopped container is no error (304).
    env.ok(&["stop", "trapper"]);

    // kill and wait.
    env.ok(&["run", "-d", "--name", "victim", "busybox", "sleep", "300"]);
    let waiter = env.d.docker_command(&["wait", "victim"]);
    let waiter = std::thread::spawn(move || output_within(waiter, Duration::from_secs(15)));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(env.ok(&["kill", "victim"]).trim(), "victim");
    assert_eq!(text(&waiter.join().expect("waiter").stdout).trim(), "137");
    let err = env.fails(&["kill", "victim"]);
    assert!(
        err.contains("Cannot kill container: victim: Container ")
            && err.contains(" is not running"),
        "{err}"
    );
    env.ok(&[
        "run",
        "-d",
        "--name",
        "five",
        "busybox",
        "sh",
        "-c",
        "sleep 0.3; exit 5",
    ]);
    assert_eq!(env.ok(&["wait", "five"]).trim(), "5");

    // restart and restart policies.
    env.ok(&["restart", "-t", "0", "sleeper"]);
    assert_eq!(
        env.ok(&["inspect", "-f", "{{.State.Status}}", "sleeper"])
            .trim(),
        "running"
    );
    env.ok(&[
        "run",
        "-d",
        "--name",
        "flaky",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        "exit 1",
    ]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = env.ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.RestartCount}}",
            "flaky",
        ]);
        if s.trim() == "exited 2" {
            break;
        }
        assert!(Instant::now() < deadline, "flaky: {s}");
        std::thread::sleep(Duration::from_millis(50));
    }

    // ps: filters and formats.
    let names = |args: &[&str]| {
        let mut v: Vec<String> = env.ok(args).lines().map(str::to_owned).collect();
        v.sort();
        v
    };
    assert_eq!(
        names(&["ps", "--format", "{{.Names}}"]),
        ["sleeper", "talker", "web"]
    );
    assert_eq!(
        names(&[
            "ps",
            "-a",
            "--filter",
            "status=exited",
            "--format",
            "{{.Names}}"
        ]),
        ["five", "flaky", "ticker", "trapper", "victim"]
    );
    assert_eq!(
        names(&[
            "ps",
            "-a",
            "--filter",
            "exited=137",
            "--format",
            "{{.Names}}"
        ]),
        ["victim"]
    );
    assert_eq!(
        names(&[
            "ps",
            "--filter",
            "name=web",
            "--format",
            "{{.Names}} {{.Ports}}"
        ]),
        ["web 0.0.0.0:8080->80/tcp"]
    );
    assert_eq!(
        names(&["ps", "--filter", "label=role=web", "--format", "{{.Names}}"]),
        ["web"]
    );
    assert_eq!(
        names(&["ps", "-a", "--filter", "ancestor=busybox", "-q"]).len(),
        8
    );
    let row = env.ok(&[
        "ps",
        "--filter",
        "name=talker",
        "--format",
        "{{.Image}}|{{.Command}}|{{.Status}}",
    ]);
    assert!(
        row.starts_with("busybox|\"sh -c 'echo one; ec…\"|Up "),
        "{row}"
    );
    assert_eq!(
        env.ok(&["ps", "-a", "-n", "1", "--format", "{{.Names}}"])
            .trim(),
        "flaky"
    );

    // rm: a running container needs -f.
    let err = env.fails(&["rm", "web"]);
    assert!(err.contains("cannot remove container \"/web\": container is running: stop the container before removing or force remove"), "{err}");
    env.ok(&["rm", "-f", "web", "talker", "sleeper"]);
    env.ok(&["rm", "five", "flaky", "ticker", "trapper", "victim"]);
    assert_eq!(env.ok(&["ps", "-aq"]), "");
    assert!(
        try_http_get(&env.ns, "127.0.0.1:8080").is_err(),
        "the port is unpublished"
    );
}

#[test]
#[ignore = "privileged"]
fn interactive_tty_under_a_real_pty() {
    let env = Env::new("tty", &[]);
    // `script` gives the CLI a real terminal; the input stays open until the shell is done.
    let mut script = Command::new("script")
        .args([
            "-qec",
            &format!("{DOCKER_CLI} run -it --rm busybox sh"),
            "/dev/null",
        ])
        .env(
            "DOCKER_HOST",
            format!("unix://{}", env.d.paths.sock.display()),
        )
        .env("DOCKER_CONFIG", env.d.dir().join("docker-cli"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script");
    // Held open until `script` is done: its end of input would end the session early.
    let mut stdin = script.stdin.take().expect("stdin");
    let pid = script.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(script.wait_with_output());
    });
    std::thread::sleep(Duration::from_millis(500));
    stdin
        .write_all(b"echo in-a-$((1+1))-tty; tty; exit\n")
        .expect("type into the terminal");
    let out = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(out) => out.expect("script output"),
        Err(_) => {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("docker run -it did not finish:\n{}", env.d.log());
        }
    };
    drop(stdin);
    let shown = text(&out.stdout);
    assert!(shown.contains("in-a-2-tty"), "{shown}");
    assert!(shown.contains("/dev/pts/0"), "{shown}");
    assert_eq!(env.ok(&["ps", "-aq"]), "");

    // Resizing the TTY of a running container reaches its terminal; a stopped one is a 409.
    let id = env.ok(&[
        "run",
        "-d",
        "-t",
        "busybox",
        "sh",
        "-c",
        "sleep 1; stty size",
    ]);
    let id = id.trim();
    let r = env
        .d
        .request("POST", &format!("/containers/{id}/resize?h=40&w=100"), None)
        .expect("resize");
    assert_eq!(r.status, 200);
    assert_eq!(env.ok(&["wait", id]).trim(), "0");
    assert_eq!(env.ok(&["logs", id]), "40 100\r\n");
    let r = env
        .d
        .request("POST", &format!("/containers/{id}/resize?h=40&w=100"), None)
        .expect("resize");
    assert_eq!(r.status, 409);
}

#[test]
#[ignore = "privileged"]
fn containers_reach_each_other_unless_icc_is_off() {
    for icc in [true, false] {
        let flag = format!("--icc={icc}");
        let env = Env::new(if icc { "icc" } else { "noicc" }, &[&flag]);
        env.ok(&["run", "-d", "--name", "peer", "busybox", "sleep", "300"]);
        let ip = env.ok(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "peer"]);
        let out = env.docker(&["run", "--rm", "busybox", "ping", "-c1", "-W1", ip.trim()]);
        assert_eq!(
            out.status.success(),
            icc,
            "ping {} with {flag}: {}{}",
            ip.trim(),
            text(&out.stdout),
            text(&out.stderr)
        );
        if icc {
            // The other network modes.
            let none = env.ok(&[
                "run",
                "--rm",
                "--network",
                "none",
                "busybox",
                "ip",
                "-o",
                "link",
            ]);
            assert!(none.contains("lo:") && !none.contains("eth0"), "{none}");
            let host = env.ok(&[
                "run",
                "--rm",
                "--network",
                "host",
                "busybox",
                "ip",
                "-o",
                "link",
            ]);
            assert!(host.contains("docker0"), "{host}");
            let hosts = env.ok(&[
                "run",
                "--rm",
                "busybox",
                "cat",
                "/etc/hosts",
                "/etc/hostname",
            ]);
            assert!(hosts.contains("127.0.0.1\tlocalhost"), "{hosts}");
        }
        env.ok(&["rm", "-f", "peer"]);
    }
}

#[test]
#[ignore = "privileged"]
fn containers_survive_a_sigkilled_daemon() {
    require_privileged();
    let ns = NetNs::new("crash").expect("netns");
    let mut first = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    load_busybox(&first);
    let count = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done";
    let run = |args: &[&str]| ok(&first, &[&["run", "-d"], args].concat());
    run(&[
        "--name", "counter", "-p", "8081:80", "busybox", "sh", "-c", count,
    ]);
    run(&["--name", "brief", "busybox", "sh", "-c", "sleep 1; exit 7"]);
    let orphan = run(&["--name", "orphan", "busybox", "sleep", "300"]);
    run(&[
        "--name",
        "always",
        "--restart",
        "always",
        "busybox",
        "sleep",
        "300",
    ]);
    ok(&first, &["stop", "-t", "0", "always"]);
    std::thread::sleep(Duration::from_millis(600));
    first.kill().expect("SIGKILL wharfd");

    // While no daemon watches, `brief` exits and `orphan` loses its monitor.
    let started = first
        .paths
        .data_root
        .join("containers")
        .join(orphan.trim())
        .join("started.json");
    let started: serde_json::Value =
        serde_json::from_slice(&std::fs::read(started).expect("started.json")).expect("json");
    let monitor = started["monitor_pid"].as_i64().expect("monitor pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(monitor).expect("a pid")),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill the monitor");
    std::thread::sleep(Duration::from_millis(1200));

    let second = Wharfd::builder(BIN)
        .dir(first.dir())
        .start(&ns)
        .expect("wharfd restarts");
    let state = |name: &str| {
        let f = "{{.State.Status}} {{.State.ExitCode}}";
        ok(&second, &["inspect", "-f", f, name]).trim().to_owned()
    };
    let ps = ok(
        &second,
        &["ps", "--format", "{{.Names}} {{.Status}} {{.Ports}}"],
    );
    assert!(
        ps.contains("counter Up ") && ps.contains("0.0.0.0:8081->80/tcp"),
        "{ps}"
    );
    assert_eq!(state("brief"), "exited 7");
    assert_eq!(state("orphan"), "exited 137");
    // dockerd restarts `always` containers when it starts, even those stopped by hand.
    let deadline = Instant::now() + Duration::from_secs(5);
    while state("always") != "running 0" {
        assert!(Instant::now() < deadline, "`always` was not restarted");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The log has every line, from before and after the restart.
    std::thread::sleep(Duration::from_millis(500));
    let logs = ok(&second, &["logs", "counter"]);
    let numbers: Vec<u32> = logs.lines().map(|l| l.parse().expect("a number")).collect();
    assert!(numbers.len() >= 10, "{logs}");
    assert!(
        numbers.iter().enumerate().all(|(i, &n)| n == i as u32),
        "{logs}"
    );

    // `wait` gives the real exit code of the re-adopted container.
    let waiter = second.docker_command(&["wait", "counter"]);
    let waiter = std::thread::spawn(move || output_within(waiter, Duration::from_secs(15)));
    std::thread::sleep(Duration::from_millis(300));
    ok(&second, &["kill", "counter"]);
    assert_eq!(text(&waiter.join().expect("waiter").stdout).trim(), "137");
    ok(
        &second,
        &["rm", "-f", "counter", "brief", "orphan", "always"],
    );
    let endpoints = ok(
        &second,
        &["network", "inspect", "-f", "{{len .Containers}}", "bridge"],
    );
    assert_eq!(endpoints.trim(), "0");
    drop(second);
    drop(first);
}

#[test]
#[ignore = "privileged"]
fn bind_mounts_as_dockerd_makes_them_across_a_restart() {
    require_privileged();
    let ns = NetNs::new("binds").expect("netns");
    let mut first = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    load_busybox(&first);
    let host = first.dir().join("bind");
    std::fs::create_dir(&host).expect("bind dir");
    let h = host.to_str().expect("utf-8");
    let run = |args: &[&str]| {
        first
            .docker(&[&["run", "--rm"], args].concat())
            .expect("docker runs")
    };

    let rw = format!("{h}:/data");
    let out = run(&["-v", &rw, "busybox", "sh", "-c", "echo hi > /data/f"]);
    assert_eq!(code(&out), Some(0), "{}{}", text(&out.stderr), first.log());
    assert_eq!(std::fs::read_to_string(host.join("f")).expect("f"), "hi\n");

    let ro = format!("{h}:/data:ro");
    let out = run(&[
        "-v",
        &ro,
        "busybox",
        "sh",
        "-c",
        "echo no > /data/f; echo no > /data/g",
    ]);
    assert_ne!(code(&out), Some(0), "writing to a read-only bind succeeded");
    assert_eq!(std::fs::read_to_string(host.join("f")).expect("f"), "hi\n");
    assert!(!host.join("g").exists());

    // `-v` creates a missing source directory, `--mount` refuses it.
    let made = first.dir().join("made/deep");
    let out = run(&["-v", &format!("{}:/m", made.display()), "busybox", "true"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
    assert!(made.is_dir());
    let none = first.dir().join("none");
    let mount = format!("type=bind,source={},target=/x", none.display());
    let out = run(&["--mount", &mount, "busybox", "true"]);
    assert_ne!(code(&out), Some(0));
    let want = format!(
        "invalid mount config for type \"bind\": bind source path does not exist: {}",
        none.display()
    );
    assert!(text(&out.stderr).contains(&want), "{}", text(&out.stderr));
    assert!(!none.exists());
    let out = run(&["-v", "x$:/x", "busybox", "true"]);
    assert!(
        text(&out.stderr).contains("create x$: \"x$\" includes invalid characters"),
        "{}",
        text(&out.stderr)
    );

    // Inspect shows both forms; the record keeps them over a daemon restart.
    let bind = format!("{h}:/data:ro,Z");
    let mount = format!("type=bind,source={h},target=/m,bind-propagation=rslave");
    let create = ["create", "--name", "keep", "-v", &bind, "--mount", &mount];
    ok(
        &first,
        &[&create[..], &["busybox", "cat", "/data/f", "/m/f"]].concat(),
    );
    let mounts: serde_json::Value =
        serde_json::from_str(&ok(&first, &["inspect", "-f", "{{json .Mounts}}", "keep"]))
            .expect("json");
    assert_eq!(
        mounts,
        serde_json::json!([
            {"Type": "bind", "Source": h, "Destination": "/data", "Mode": "ro,Z", "RW": false,
             "Propagation": "rprivate"},
            {"Type": "bind", "Source": h, "Destination": "/m", "Mode": "", "RW": true,
             "Propagation": "rslave"}
        ])
    );
    let binds = ok(
        &first,
        &["inspect", "-f", "{{json .HostConfig.Binds}}", "keep"],
    );
    assert_eq!(binds.trim(), serde_json::json!([bind]).to_string());
    first
        .terminate(Duration::from_secs(10))
        .expect("wharfd stops");
    let second = Wharfd::builder(BIN)
        .dir(first.dir())
        .start(&ns)
        .expect("wharfd restarts");
    assert_eq!(ok(&second, &["start", "-a", "keep"]), "hi\nhi\n");
    ok(&second, &["rm", "keep"]);
    drop(second);
    drop(first);
}

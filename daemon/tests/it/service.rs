//! wharfd as a service (issue 16), through the real CLI: systemd's socket activation and notify
//! protocol without systemd, several `-H`, TCP with mutual TLS, shutdown with and without
//! `--live-restore`.

use std::os::unix::net::{UnixDatagram, UnixListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use testkit::{DOCKER_CLI, NetNs, TestPki, Wharfd, require_privileged};

use crate::containers::load_busybox;

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The next notify message within `timeout`, if any.
fn next_notify(sock: &UnixDatagram, timeout: Duration) -> Option<String> {
    sock.set_read_timeout(Some(timeout)).expect("timeout");
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).ok()?;
    Some(text(&buf[..n]))
}

/// The CLI on `host`, in the daemon's namespace (where its TCP addresses are), with TLS from
/// `certs` (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`) if given.
fn cli(ns: &NetNs, d: &Wharfd, host: &str, certs: Option<&Path>, args: &[&str]) -> Command {
    let mut cmd = ns.command(DOCKER_CLI, args);
    cmd.env("DOCKER_HOST", host)
        .env("DOCKER_CONFIG", d.dir().join("docker-cli"))
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH");
    if let Some(certs) = certs {
        cmd.env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", certs);
    }
    cmd
}

/// The CLI on `host` without TLS.
fn docker_on(ns: &NetNs, d: &Wharfd, host: &str, args: &[&str]) -> Output {
    cli(ns, d, host, None, args).output().expect("docker runs")
}

/// systemd's `wharf.socket` + `wharf.service` (`-H fd://`, `Type=notify`) without systemd:
/// the test opens the socket and passes it as fd 3, listens for the notify messages, and the
/// CLI works on the passed socket, next to a second `-H`.
#[test]
#[ignore = "privileged"]
fn socket_activation_and_notify_as_systemd_runs_it() {
    require_privileged();
    let ns = NetNs::new("sdact").expect("netns");
    let dir = tempfile::tempdir().expect("tempdir");
    let activated = dir.path().join("activated.sock");
    let listener = UnixListener::bind(&activated).expect("the test opens the socket");
    let notify_path = dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).expect("notify socket");

    // The flags the shipped unit starts wharfd with.
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/systemd/wharf.service"),
    )
    .expect("the shipped unit");
    assert!(unit.contains("\nType=notify\n"), "{unit}");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let unit_args: Vec<&str> = exec.split_whitespace().skip(1).collect();
    assert_eq!(unit_args, ["-H", "fd://"]);
    let mut d = Wharfd::builder(BIN)
        .args(unit_args)
        .env("NOTIFY_SOCKET", notify_path.to_str().expect("utf-8"))
        .listen_fd(listener.into())
        .start(&ns)
        .expect("wharfd starts with a passed socket");
    let ready = next_notify(&notify, Duration::from_secs(10));
    assert_eq!(ready.as_deref(), Some("READY=1\n"), "{}", d.log());
    // The passed socket is still there (systemd owns it, not the daemon) and answers.
    let host = format!("unix://{}", activated.display());
    let out = docker_on(&ns, &d, &host, &["version", "--format", "{{.Server.Os}}"]);
    assert!(out.status.success(), "{}{}", text(&out.stderr), d.log());
    assert_eq!(text(&out.stdout).trim(), "linux");
    // The other -H serves too.
    assert!(d.docker_ok(&["info", "--format", "{{.ID}}"]).trim().len() > 10);

    d.signal(nix::sys::signal::Signal::SIGTERM)
        .expect("SIGTERM");
    let stopping = next_notify(&notify, Duration::from_secs(10));
    assert_eq!(stopping.as_deref(), Some("STOPPING=1\n"), "{}", d.log());
    let status = d.wait_exit(Duration::from_secs(20)).expect("exits");
    assert!(status.success(), "{status}");
}

/// dockerd's answers to `fd://` hosts that name nothing it was given.
#[test]
#[ignore = "privileged"]
fn fd_hosts_without_passed_sockets_are_refused_as_dockerd_refuses_them() {
    require_privileged();
    let ns = NetNs::new("sdnone").expect("netns");
    for (host, want) in [
        (
            "fd://",
            "no sockets found via socket activation: make sure the service was started by systemd",
        ),
        (
            "udp://1.2.3.4:5",
            "Invalid bind address format: udp://1.2.3.4:5",
        ),
    ] {
        let mut d = Wharfd::builder(BIN)
            .args(["-H", host])
            .spawn(&ns)
            .expect("spawn");
        let status = d.wait_exit(Duration::from_secs(20)).expect("exits");
        assert!(!status.success());
        assert!(d.log().contains(want), "{host}: {}", d.log());
    }
}

/// The client side of the test PKI as the CLI reads it (`DOCKER_CERT_PATH`).
fn cli_cert_dir(pki: &TestPki, dir: &Path, with_client: bool) -> PathBuf {
    let certs = dir.join(if with_client { "cli" } else { "cli-nocert" });
    std::fs::create_dir_all(&certs).expect("cert dir");
    std::fs::copy(&pki.ca_cert, certs.join("ca.pem")).expect("ca");
    if with_client {
        std::fs::copy(&pki.client_cert, certs.join("cert.pem")).expect("cert");
        std::fs::copy(&pki.client_key, certs.join("key.pem")).expect("key");
    }
    certs
}

/// A daemon on `tcp://127.0.0.1:2376 --tlsverify` (and its Unix socket), busybox loaded.
pub(crate) fn tls_daemon(ns: &NetNs, pki: &TestPki) -> Wharfd {
    let d = Wharfd::builder(BIN)
        .args([
            "-H",
            "tcp://127.0.0.1:2376",
            "--tlsverify",
            "--tlscacert",
            pki.ca_cert.to_str().expect("utf-8"),
            "--tlscert",
            pki.server_cert.to_str().expect("utf-8"),
            "--tlskey",
            pki.server_key.to_str().expect("utf-8"),
        ])
        .start(ns)
        .expect("wharfd starts with TLS");
    load_busybox(&d);
    d
}

fn docker_tls(ns: &NetNs, d: &Wharfd, certs: &Path, args: &[&str]) -> Output {
    cli(ns, d, "tcp://127.0.0.1:2376", Some(certs), args)
        .output()
        .expect("docker runs")
}

/// Mutual TLS: the CLI with a certificate the CA signed runs containers (attach over TLS
/// included); without one it is refused at the handshake.
#[test]
#[ignore = "privileged"]
fn tcp_with_mutual_tls_serves_the_cli_with_a_client_certificate_only() {
    require_privileged();
    let ns = NetNs::new("mtls").expect("netns");
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::create(dir.path()).expect("pki");
    let d = tls_daemon(&ns, &pki);
    let certs = cli_cert_dir(&pki, dir.path(), true);

    let out = docker_tls(
        &ns,
        &d,
        &certs,
        &["version", "--format", "{{.Server.APIVersion}}"],
    );
    assert!(out.status.success(), "{}{}", text(&out.stderr), d.log());
    assert_eq!(text(&out.stdout).trim(), "1.47");
    // `run` attaches (a hijacked connection) over TLS.
    let out = docker_tls(
        &ns,
        &d,
        &certs,
        &[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "echo over-tls; exit 3",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        text(&out.stderr),
        d.log()
    );
    assert_eq!(text(&out.stdout), "over-tls\n");
    // `run -i`: stdin through the hijacked TLS connection.
    let mut cmd = cli(
        &ns,
        &d,
        "tcp://127.0.0.1:2376",
        Some(&certs),
        &["run", "-i", "--rm", "busybox", "cat"],
    );
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("docker run -i");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"typed in\n").expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(text(&out.stdout), "typed in\n", "{}", d.log());

    // No client certificate: refused at the handshake.
    let nocert = cli_cert_dir(&pki, dir.path(), false);
    let out = docker_tls(
        &ns,
        &d,
        &nocert,
        &["version", "--format", "{{.Server.Version}}"],
    );
    assert!(
        !out.status.success(),
        "a client without a certificate got in"
    );
    assert!(text(&out.stdout).trim().is_empty(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("certificate required"),
        "{}",
        text(&out.stderr)
    );
    // Plain HTTP on the TLS port gets nothing either.
    let out = docker_on(
        &ns,
        &d,
        "tcp://127.0.0.1:2376",
        &["version", "--format", "{{.Server.Version}}"],
    );
    assert!(!out.status.success());
}

/// TCP without TLS: refused unless `--tls=false` says so; with it, dockerd's warnings, and the
/// API answers on both hosts.
#[test]
#[ignore = "privileged"]
fn tcp_without_tls_needs_an_explicit_tls_false() {
    require_privileged();
    let ns = NetNs::new("notls").expect("netns");
    let mut d = Wharfd::builder(BIN)
        .args(["-H", "tcp://0.0.0.0:2375"])
        .spawn(&ns)
        .expect("spawn");
    let status = d.wait_exit(Duration::from_secs(20)).expect("exits");
    assert!(!status.success());
    let log = d.log();
    assert!(
        log.contains("Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network."),
        "{log}"
    );
    assert!(
        log.contains(
            "You can override this by explicitly specifying '--tls=false' or '--tlsverify=false'"
        ),
        "{log}"
    );

    let d = Wharfd::builder(BIN)
        .args(["-H", "tcp://0.0.0.0:2375", "--tls=false"])
        .start(&ns)
        .expect("starts with --tls=false");
    let out = docker_on(
        &ns,
        &d,
        "tcp://127.0.0.1:2375",
        &["version", "--format", "{{.Server.Os}}"],
    );
    assert!(out.status.success(), "{}{}", text(&out.stderr), d.log());
    assert_eq!(text(&out.stdout).trim(), "linux");
    assert!(d.log().contains("Be safe out there!"), "{}", d.log());
}

/// SIGTERM without `--live-restore` stops a running container with its stop signal (exit 143
/// from the TERM trap), and the next start brings back the `--restart always` one only.
#[test]
#[ignore = "privileged"]
fn sigterm_stops_containers_and_boot_restarts_the_always_ones() {
    require_privileged();
    let ns = NetNs::new("sdstop").expect("netns");
    let mut d = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    load_busybox(&d);
    let trap = "trap 'exit 143' TERM; while true; do sleep 0.1; done";
    d.docker_ok(&[
        "run",
        "-d",
        "--name",
        "always",
        "--restart",
        "always",
        "busybox",
        "sh",
        "-c",
        trap,
    ]);
    d.docker_ok(&["run", "-d", "--name", "plain", "busybox", "sh", "-c", trap]);

    let t = Instant::now();
    let status = d.terminate(Duration::from_secs(30)).expect("exits");
    assert!(status.success(), "{status}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert!(
        d.log().contains("stopping containers for shutdown"),
        "{}",
        d.log()
    );

    let d2 = Wharfd::builder(BIN)
        .dir(d.dir())
        .start(&ns)
        .expect("wharfd restarts");
    let state = |name: &str| {
        d2.docker_ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}}",
            name,
        ])
        .trim()
        .to_owned()
    };
    assert_eq!(state("plain"), "exited 143");
    let deadline = Instant::now() + Duration::from_secs(10);
    while state("always") != "running 0" {
        assert!(
            Instant::now() < deadline,
            "always: {}\n{}",
            state("always"),
            d2.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    d2.docker_ok(&["rm", "-f", "always", "plain"]);
    drop(d2);
    drop(d);
}

/// With `--live-restore`, SIGTERM leaves the container running and the next start adopts it.
#[test]
#[ignore = "privileged"]
fn live_restore_keeps_containers_running_across_a_restart() {
    require_privileged();
    let ns = NetNs::new("sdlive").expect("netns");
    let mut d = Wharfd::builder(BIN)
        .args(["--live-restore"])
        .start(&ns)
        .expect("wharfd starts");
    load_busybox(&d);
    let id = d.docker_ok(&["run", "-d", "busybox", "sleep", "1000"]);
    let pid = d.docker_ok(&["inspect", "-f", "{{.State.Pid}}", id.trim()]);
    let status = d.terminate(Duration::from_secs(20)).expect("exits");
    assert!(status.success(), "{status}");
    assert!(
        d.log().contains("live-restore: containers keep running"),
        "{}",
        d.log()
    );

    let d2 = Wharfd::builder(BIN)
        .dir(d.dir())
        .args(["--live-restore"])
        .start(&ns)
        .expect("wharfd restarts");
    let again = d2.docker_ok(&[
        "inspect",
        "-f",
        "{{.State.Status}} {{.State.Pid}}",
        id.trim(),
    ]);
    assert_eq!(again.trim(), format!("running {}", pid.trim()));
    d2.docker_ok(&["rm", "-f", id.trim()]);
    drop(d2);
    drop(d);
}

/// SIGHUP reloads `daemon.json`: labels and debug change in `docker info`, each change is
/// logged, and a file that does not load changes nothing.
#[test]
#[ignore = "privileged"]
fn sighup_reloads_what_dockerd_reloads_and_refuses_a_bad_file() {
    require_privileged();
    let ns = NetNs::new("sdhup").expect("netns");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("daemon.json");
    std::fs::write(&config, r#"{"labels": ["stage=one"]}"#).expect("config");
    let d = Wharfd::builder(BIN)
        .dir(dir.path())
        .start(&ns)
        .expect("wharfd starts");
    let info = || {
        d.docker_ok(&[
            "info",
            "--format",
            "{{json .Labels}} {{.Debug}} {{.DefaultRuntime}}",
        ])
    };
    assert_eq!(info().trim(), r#"["stage=one"] false runc"#);

    let hup_until = |want: &str| {
        d.signal(nix::sys::signal::Signal::SIGHUP).expect("SIGHUP");
        let deadline = Instant::now() + Duration::from_secs(10);
        while info().trim() != want {
            assert!(Instant::now() < deadline, "{}\n{}", info(), d.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    std::fs::write(
        &config,
        r#"{"labels": ["stage=two"], "debug": true, "max-concurrent-downloads": 5,
            "runtimes": {"alt": {"path": "runc"}}, "default-runtime": "alt"}"#,
    )
    .expect("config");
    hup_until(r#"["stage=two"] true alt"#);
    let log = d.log();
    assert!(log.contains("configuration reloaded"), "{log}");
    assert!(log.contains("max-concurrent-downloads"), "{log}");

    std::fs::write(&config, r#"{"labels": ["stage=three"], "no-such-key": 1}"#).expect("config");
    d.signal(nix::sys::signal::Signal::SIGHUP).expect("SIGHUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !d
        .log()
        .contains("don't match any configuration option: no-such-key")
    {
        assert!(Instant::now() < deadline, "{}", d.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(info().trim(), r#"["stage=two"] true alt"#);
}

/// `GET /metrics` on `addr` inside `ns`: the Prometheus text.
fn scrape(ns: &NetNs, addr: &str) -> String {
    ns.run_in(|| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).expect("metrics listen");
        s.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
            .expect("request");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("answer");
        assert!(out.starts_with("HTTP/1.0 200"), "{out}");
        out
    })
}

/// The value of the sample `line_start` (a metric with its labels) in `text`.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .and_then(|v| v.trim().parse().ok())
}

/// `--metrics-addr`: the counters move with what clients do.
#[test]
#[ignore = "privileged"]
fn metrics_count_actions_requests_images_and_loaded_bytes() {
    require_privileged();
    let ns = NetNs::new("metrics").expect("netns");
    let addr = "127.0.0.1:9323";
    let d = Wharfd::builder(BIN)
        .args(["--metrics-addr", addr])
        .start(&ns)
        .expect("wharfd starts");
    let before = scrape(&ns, addr);
    assert!(before.contains("engine_daemon_engine_info{"), "{before}");
    assert_eq!(sample(&before, "wharf_images "), Some(0.0), "{before}");
    assert_eq!(sample(&before, "wharf_image_load_bytes_total "), Some(0.0));

    load_busybox(&d);
    d.docker_ok(&["run", "-d", "--name", "m1", "busybox", "sleep", "100"]);
    d.docker_ok(&["create", "--name", "m2", "busybox", "true"]);
    // A hijacked attach through the measuring middleware.
    assert_eq!(
        d.docker_ok(&["run", "--rm", "busybox", "echo", "attached"]),
        "attached\n"
    );
    let after = scrape(&ns, addr);
    assert_eq!(sample(&after, "wharf_images "), Some(1.0), "{after}");
    assert!(sample(&after, "wharf_image_load_bytes_total ").is_some_and(|n| n > 100_000.0));
    assert_eq!(
        sample(
            &after,
            r#"engine_daemon_container_states_containers{state="running"} "#
        ),
        Some(1.0),
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            r#"engine_daemon_container_states_containers{state="stopped"} "#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &after,
            r#"engine_daemon_container_actions_seconds_count{action="create"} "#
        ),
        Some(3.0),
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            r#"engine_daemon_container_actions_seconds_count{action="start"} "#
        ),
        Some(2.0)
    );
    assert!(
        after.contains(r#"wharf_api_requests_total{method="POST",route="/containers/{id}/start",status="204"} 2"#),
        "{after}"
    );
    d.docker_ok(&["rm", "-f", "m1", "m2"]);
}

/// `--log-format json`: every line of the daemon's log (stderr) is one JSON object with the
/// level and the message.
#[test]
#[ignore = "privileged"]
fn log_format_json_writes_one_object_a_line_to_stderr() {
    require_privileged();
    let ns = NetNs::new("logjson").expect("netns");
    let mut d = Wharfd::builder(BIN)
        .args(["--log-format", "json"])
        .start(&ns)
        .expect("wharfd starts");
    d.terminate(Duration::from_secs(10)).expect("exits");
    let log = d.log();
    let mut messages = Vec::new();
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string(), "{line}");
        messages.push(
            v["fields"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert!(
        messages.iter().any(|m| m == "daemon ready: API listening"),
        "{log}"
    );
    assert!(messages.iter().any(|m| m == "shutdown complete"), "{log}");

    let mut bad = Wharfd::builder(BIN)
        .args(["--log-format", "xml"])
        .spawn(&ns)
        .expect("spawn");
    assert!(
        !bad.wait_exit(Duration::from_secs(10))
            .expect("exits")
            .success()
    );
    assert!(
        bad.log().contains("unknown log format: xml"),
        "{}",
        bad.log()
    );
}

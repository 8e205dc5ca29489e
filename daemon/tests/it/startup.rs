//! Privileged start-up tests: the real `wharfd` in a network namespace of its own, driven by the
//! real Docker CLI and a plain HTTP client. Run by `cargo xtask test` (as root).

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use testkit::{NetNs, Wharfd, require_privileged};

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

fn start(ns: &NetNs) -> Wharfd {
    Wharfd::builder(BIN)
        .args(["--bridge=none"])
        .start(ns)
        .expect("wharfd starts")
}

#[test]
#[ignore = "privileged"]
fn docker_version_and_info_work_with_the_real_cli() {
    require_privileged();
    let ns = NetNs::new("ver").expect("netns");
    let d = start(&ns);

    let out = d.docker(&["version"]).expect("docker version runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Server:"), "{text}");
    assert!(
        text.contains("API version:      1.47 (minimum version 1.24)"),
        "{text}"
    );

    let out = d.docker(&["info"]).expect("docker info runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(!stderr.to_lowercase().contains("error"), "{stderr}");
    assert!(stdout.contains("Storage Driver:"), "{stdout}");
    let root = std::fs::canonicalize(&d.paths.data_root).expect("data root exists");
    assert!(
        stdout.contains(&format!("Docker Root Dir: {}", root.display())),
        "{stdout}"
    );

    let out = d
        .docker_command(&["version"])
        .env("DOCKER_API_VERSION", "1.50")
        .output()
        .expect("docker version runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("client version 1.50 is too new. Maximum supported API version is 1.47"),
        "{stderr}"
    );
}

#[test]
#[ignore = "privileged"]
fn ping_version_info_and_errors_have_dockers_shape() {
    require_privileged();
    let ns = NetNs::new("api").expect("netns");
    let d = start(&ns);

    for method in ["GET", "HEAD"] {
        let r = d.request(method, "/_ping", None).expect("ping");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Api-Version"), Some("1.47"));
        assert_eq!(r.header("Docker-Experimental"), Some("false"));
        assert_eq!(r.header("Ostype"), Some("linux"));
        assert_eq!(
            r.header("Cache-Control"),
            Some("no-cache, no-store, must-revalidate")
        );
        assert_eq!(r.header("Pragma"), Some("no-cache"));
        assert_eq!(r.text(), if method == "GET" { "OK" } else { "" });
    }

    for path in ["/version", "/v1.24/version", "/v1.47/version"] {
        let r = d.request("GET", path, None).expect("version");
        assert_eq!(r.status, 200, "{path}");
        let v = r.json().expect("json");
        assert_eq!(v["ApiVersion"], "1.47");
        assert_eq!(v["MinAPIVersion"], "1.24");
        assert_eq!(v["Os"], "linux");
        assert_eq!(v["Components"][0]["Name"], "Engine");
        assert!(v["KernelVersion"].as_str().is_some_and(|k| !k.is_empty()));
    }

    let info = d
        .request("GET", "/v1.47/info", None)
        .expect("info")
        .json()
        .expect("json");
    assert_eq!(info["Images"], 0);
    assert_eq!(info["Containers"], 0);
    assert_eq!(info["OSType"], "linux");
    assert!(info["NCPU"].as_u64().is_some_and(|n| n >= 1));
    assert!(info["MemTotal"].as_u64().is_some_and(|n| n > 0));
    assert!(info["NFd"].as_u64().is_some_and(|n| n > 0));
    assert!(["1", "2"].contains(&info["CgroupVersion"].as_str().unwrap_or("")));
    assert_eq!(info["Swarm"]["LocalNodeState"], "inactive");

    let check_error = |method: &str, path: &str, status: u16, message: &str| {
        let r = d.request(method, path, None).expect("request");
        assert_eq!(r.status, status, "{method} {path}");
        assert_eq!(r.header("Content-Type"), Some("application/json"), "{path}");
        assert_eq!(
            r.json().expect("json")["message"],
            message,
            "{method} {path}"
        );
    };
    check_error(
        "GET",
        "/v1.50/version",
        400,
        "client version 1.50 is too new. Maximum supported API version is 1.47",
    );
    check_error(
        "GET",
        "/v1.12/version",
        400,
        "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade \
         your client to a newer version",
    );
    check_error("GET", "/no/such/route", 404, "page not found");
    check_error("GET", "/v1.47/no/such/route", 404, "page not found");
    check_error("POST", "/version", 404, "page not found");
    check_error("DELETE", "/_ping", 404, "page not found");
}

#[test]
#[ignore = "privileged"]
fn sigterm_exits_cleanly_and_a_killed_daemon_restarts() {
    require_privileged();
    let ns = NetNs::new("sig").expect("netns");
    let mut d = start(&ns);
    let sock = d.paths.sock.clone();
    let pidfile = d.paths.pidfile.clone();
    assert_eq!(
        std::fs::read_to_string(&pidfile).expect("pidfile").trim(),
        d.pid().expect("pid").to_string()
    );
    let mode = std::fs::metadata(&sock)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660);
    let data_mode = std::fs::metadata(&d.paths.data_root)
        .expect("root")
        .permissions()
        .mode();
    assert_eq!(data_mode & 0o777, 0o700);

    let t = Instant::now();
    let status = d
        .terminate(Duration::from_secs(2))
        .expect("exits within 2 s");
    assert!(status.success(), "{status}: {}", d.log());
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(!sock.exists(), "socket removed");
    assert!(!pidfile.exists(), "pidfile removed");

    // A crash leaves the socket and the pidfile behind; the next start takes them over.
    let state = tempfile::tempdir().expect("tempdir");
    let mut d = Wharfd::builder(BIN)
        .dir(state.path())
        .args(["--bridge=none"])
        .start(&ns)
        .expect("first start");
    d.kill().expect("SIGKILL");
    assert!(d.paths.sock.exists() && d.paths.pidfile.exists());
    let mut again = Wharfd::builder(BIN)
        .dir(state.path())
        .args(["--bridge=none"])
        .start(&ns)
        .expect("restarts after SIGKILL");
    let r = again.request("GET", "/_ping", None).expect("ping");
    assert_eq!(r.status, 200);
    assert!(
        again
            .terminate(Duration::from_secs(2))
            .expect("exit")
            .success()
    );
}

#[test]
#[ignore = "privileged"]
fn a_second_daemon_on_the_same_pidfile_is_refused() {
    require_privileged();
    let ns = NetNs::new("pid").expect("netns");
    let first = start(&ns);
    let pid_before = std::fs::read_to_string(&first.paths.pidfile).expect("pidfile");
    let mut second = Wharfd::builder(BIN)
        .dir(first.dir())
        .args(["--bridge=none"])
        .spawn(&ns)
        .expect("spawn");
    let status = second
        .wait_exit(Duration::from_secs(10))
        .expect("second exits");
    assert_eq!(status.code(), Some(1));
    let log = second.log();
    assert!(log.contains("pid file found"), "{log}");
    assert!(
        log.contains(&first.paths.pidfile.display().to_string()),
        "{log}"
    );
    // The first daemon is untouched: same pidfile, socket still answering.
    assert_eq!(
        std::fs::read_to_string(&first.paths.pidfile).expect("pidfile"),
        pid_before
    );
    assert_eq!(
        first.request("GET", "/_ping", None).expect("ping").status,
        200
    );
}

#[test]
#[ignore = "privileged"]
fn two_daemons_started_at_once_cannot_both_win() {
    require_privileged();
    let ns = NetNs::new("race").expect("netns");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut daemons: Vec<Wharfd> = (0..4)
        .map(|_| {
            Wharfd::builder(BIN)
                .dir(dir.path())
                .args(["--bridge=none"])
                .spawn(&ns)
                .expect("spawn")
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let mut running = 0;
    for d in &mut daemons {
        if d.try_wait().expect("try_wait").is_none() {
            running += 1;
        }
    }
    assert_eq!(running, 1, "exactly one daemon holds the pidfile");
}

#[test]
#[ignore = "privileged"]
fn a_stale_pidfile_is_taken_over() {
    require_privileged();
    let ns = NetNs::new("stale").expect("netns");
    let dir = tempfile::tempdir().expect("tempdir");
    // PID 1 is alive but is not a wharfd.
    std::fs::write(dir.path().join("wharf.pid"), "1\n").expect("write");
    let d = Wharfd::builder(BIN)
        .dir(dir.path())
        .args(["--bridge=none"])
        .start(&ns)
        .expect("starts over a stale pidfile");
    assert_eq!(
        std::fs::read_to_string(&d.paths.pidfile)
            .expect("pidfile")
            .trim(),
        d.pid().expect("pid").to_string()
    );
}

#[test]
#[ignore = "privileged"]
fn invalid_configs_exit_1_with_a_named_error_and_create_nothing() {
    require_privileged();
    let ns = NetNs::new("cfg").expect("netns");
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (
            &["--bridge", "br0", "--bip", "10.5.0.1/16"],
            None,
            "mutually exclusive",
        ),
        (
            &["--iptables=false", "--icc=false"],
            None,
            "--iptables=false with --icc=false",
        ),
        (&["--bip", "10.5.0.1/99"], None, "\"--bip\""),
        (&["--ip", "1.2.3"], None, "\"--ip\""),
        (&["--mtu", "12"], None, "\"--mtu\""),
        (
            &["--bip", "10.5.0.1/16"],
            Some(r#"{"bip": "10.6.0.1/16"}"#),
            "bip: (from flag",
        ),
        (&[], Some(r#"{"unknown-key": 1}"#), "unknown-key"),
        (
            &["--registry-mirror", "ftp://m.example.com"],
            None,
            "invalid mirror: unsupported scheme \"ftp\" in \"ftp://m.example.com\"",
        ),
        (
            &[],
            Some(r#"{"insecure-registries": ["x://reg:5000"]}"#),
            "insecure registry x://reg:5000 should not contain '://'",
        ),
        (
            &["--max-concurrent-downloads", "-1"],
            None,
            "invalid max concurrent downloads: -1",
        ),
        (
            &["--log-opt", "bogus=1"],
            None,
            "failed to set log opts: unknown log opt 'bogus' for json-file log driver",
        ),
        (
            &[],
            Some(r#"{"log-driver": "local", "log-opts": {"labels": "a"}}"#),
            "failed to set log opts: unknown log opt 'labels' for log driver local",
        ),
        (
            &["--log-opt", "max-size=1k"],
            Some(r#"{"log-opts": {"max-file": "2"}}"#),
            "log-opts: (from flag: map[max-size:1k], from file: map[max-file:2])",
        ),
    ];
    for (args, file, message) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(text) = file {
            std::fs::write(dir.path().join("daemon.json"), text).expect("write config");
        }
        let mut d = Wharfd::builder(BIN)
            .dir(dir.path())
            .args(args.iter().copied())
            .spawn(&ns)
            .expect("spawn");
        let status = d.wait_exit(Duration::from_secs(10)).expect("exits");
        assert_eq!(status.code(), Some(1), "{args:?}");
        assert!(d.log().contains(message), "{args:?}: {}", d.log());
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("readdir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let expected: Vec<&str> = if file.is_some() {
            vec!["daemon.json", "wharfd.log"]
        } else {
            vec!["wharfd.log"]
        };
        assert_eq!(left, expected, "{args:?} created something");
        // --validate says the same, without starting.
        let out = ns
            .command(BIN, &[])
            .args(["--validate", "--config-file"])
            .arg(dir.path().join("daemon.json"))
            .args(args.iter().copied())
            .output()
            .expect("validate runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
    }
    let out = ns
        .command(
            BIN,
            &["--validate", "--config-file", "/nonexistent/daemon.json"],
        )
        .output()
        .expect("validate runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "configuration OK"
    );
}

#[test]
#[ignore = "privileged"]
fn the_socket_never_appears_before_ping_answers() {
    require_privileged();
    let ns = NetNs::new("early").expect("netns");
    for _ in 0..5 {
        let mut d = Wharfd::builder(BIN)
            .args(["--bridge=none"])
            .spawn(&ns)
            .expect("spawn");
        // Poll as fast as possible: the first time the socket exists, /_ping must answer.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !d.paths.sock.exists() {
            assert!(Instant::now() < deadline, "no socket: {}", d.log());
            assert!(
                d.try_wait().expect("try_wait").is_none(),
                "exited: {}",
                d.log()
            );
            std::hint::spin_loop();
        }
        let r = d
            .request("GET", "/_ping", None)
            .expect("the first connection succeeds");
        assert_eq!(r.status, 200);
        let status = d.terminate(Duration::from_secs(2)).expect("exit");
        assert!(status.success(), "{status}: {}", d.log());
    }
}

#[test]
#[ignore = "privileged"]
fn check_prints_the_host_report() {
    require_privileged();
    let out = std::process::Command::new(BIN)
        .args(["check"])
        .output()
        .expect("check runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("kernel"), "{text}");
    let out = std::process::Command::new(BIN)
        .args(["check", "--json"])
        .output()
        .expect("check runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert!(v["findings"].as_array().is_some_and(|f| !f.is_empty()));
}

/// `--insecure-registry` and `--registry-mirror` show in `docker info` as dockerd shows them:
/// the loopback network always insecure, a `host:port` an index of its own.
#[test]
#[ignore = "privileged"]
fn registry_settings_show_in_info() {
    require_privileged();
    let ns = NetNs::new("reginfo").expect("netns");
    let d = Wharfd::builder(BIN)
        .args([
            "--insecure-registry",
            "myreg:5000",
            "--insecure-registry",
            "10.9.0.0/16",
            "--registry-mirror",
            "https://mirror.example.com",
        ])
        .start(&ns)
        .expect("wharfd starts");
    let out = d.docker_ok(&["info"]);
    let section = |title: &str| -> Vec<String> {
        out.lines()
            .skip_while(|l| l.trim() != title)
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(|l| l.trim().to_owned())
            .collect()
    };
    assert_eq!(
        section("Insecure Registries:"),
        ["myreg:5000", "10.9.0.0/16", "::1/128", "127.0.0.0/8"],
        "{out}"
    );
    assert_eq!(
        section("Registry Mirrors:"),
        ["https://mirror.example.com/"],
        "{out}"
    );
}

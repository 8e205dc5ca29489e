//! Health checks through the real CLI: `--health-*` flags, `State.Health` in inspect, the
//! `(healthy)` in `docker ps`, the `health=` filter, the timeout's result.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::api_env::Env;

fn health(env: &Env, c: &str) -> Value {
    let r = env.request("GET", &format!("/containers/{c}/json"), None);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().expect("json")["State"]["Health"].clone()
}

/// Waits until the container's health status is `want`; its `State.Health` then.
fn wait_for(env: &Env, c: &str, want: &str, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let h = health(env, c);
        if h["Status"] == want {
            return h;
        }
        assert!(
            Instant::now() < deadline,
            "{c} not {want} within {limit:?}: {h}\n{}",
            env.d.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn ps(env: &Env, args: &[&str]) -> String {
    let mut a = vec!["ps"];
    a.extend_from_slice(args);
    env.d.docker_ok(&a)
}

#[test]
#[ignore = "privileged"]
fn health_checks_from_starting_to_healthy_to_unhealthy() {
    let env = Env::new("health");
    let d = &env.d;
    d.docker_ok(&[
        "run",
        "-d",
        "--name",
        "h1",
        "--health-cmd",
        "cat /tmp/ok",
        "--health-interval",
        "200ms",
        "--health-retries",
        "2",
        "busybox",
        "sh",
        "-c",
        "sleep 1; echo fine > /tmp/ok; sleep 300",
    ]);
    d.docker_ok(&["run", "-d", "--name", "plain", "busybox", "sleep", "300"]);

    // Starting: no success yet.
    let h = wait_for(&env, "h1", "starting", Duration::from_secs(2));
    assert_eq!(
        h["FailingStreak"].as_i64().map(|n| n <= 1),
        Some(true),
        "{h}"
    );
    let status = ps(&env, &["--filter", "name=h1", "--format", "{{.Status}}"]);
    assert!(status.ends_with(" (health: starting)\n"), "{status}");

    // Healthy once the check passes; the log keeps its results.
    let h = wait_for(&env, "h1", "healthy", Duration::from_secs(5));
    assert_eq!(h["FailingStreak"], 0);
    let log = h["Log"].as_array().expect("Log");
    let last = log.last().expect("a result");
    assert_eq!(last["ExitCode"], 0);
    assert_eq!(last["Output"], "fine\n");
    assert!(
        last["Start"].as_str().is_some_and(|s| s.ends_with('Z')),
        "{last}"
    );
    let status = ps(&env, &["--filter", "name=h1", "--format", "{{.Status}}"]);
    assert!(status.ends_with(" (healthy)\n"), "{status}");
    assert_eq!(
        ps(
            &env,
            &["--filter", "health=healthy", "--format", "{{.Names}}"]
        ),
        "h1\n"
    );
    assert_eq!(
        ps(&env, &["--filter", "health=none", "--format", "{{.Names}}"]),
        "plain\n"
    );
    assert_eq!(ps(&env, &["--filter", "health=unhealthy", "-q"]), "");
    assert_eq!(health(&env, "plain"), Value::Null);

    // Unhealthy after `--health-retries` failures in a row; at most five results kept.
    d.docker_ok(&["exec", "h1", "rm", "/tmp/ok"]);
    let h = wait_for(&env, "h1", "unhealthy", Duration::from_secs(5));
    assert!(h["FailingStreak"].as_i64().is_some_and(|n| n >= 2), "{h}");
    let last = h["Log"]
        .as_array()
        .expect("Log")
        .last()
        .cloned()
        .expect("a result");
    assert_eq!(last["ExitCode"], 1);
    assert_eq!(
        last["Output"],
        "cat: can't open '/tmp/ok': No such file or directory\n"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(health(&env, "h1")["Log"].as_array().map(Vec::len), Some(5));
    let status = ps(&env, &["--filter", "name=h1", "--format", "{{.Status}}"]);
    assert!(status.ends_with(" (unhealthy)\n"), "{status}");
}

#[test]
#[ignore = "privileged"]
fn health_check_timeouts_and_no_healthcheck() {
    let env = Env::new("healtht");
    let d = &env.d;
    d.docker_ok(&[
        "run",
        "-d",
        "--name",
        "slow",
        "--health-cmd",
        "sleep 5",
        "--health-interval",
        "100ms",
        "--health-timeout",
        "300ms",
        "--health-retries",
        "1",
        "busybox",
        "sleep",
        "300",
    ]);
    let h = wait_for(&env, "slow", "unhealthy", Duration::from_secs(5));
    let last = &h["Log"][0];
    assert_eq!(last["ExitCode"], -1);
    assert_eq!(last["Output"], "Health check exceeded timeout (300ms)");

    // `--no-healthcheck` (Test ["NONE"]): no Health at all.
    d.docker_ok(&[
        "run",
        "-d",
        "--name",
        "none1",
        "--no-healthcheck",
        "busybox",
        "sleep",
        "300",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(health(&env, "none1"), Value::Null);
}

/// The busybox fixture's one layer, as a file (for `docker import`).
fn busybox_layer(env: &Env) -> std::path::PathBuf {
    let archive = env.d.dir().join("busybox.tar");
    let read = || tar::Archive::new(std::fs::File::open(&archive).expect("archive"));
    let mut manifest = String::new();
    let mut a = read();
    for e in a.entries().expect("entries") {
        let mut e = e.expect("entry");
        if e.path().expect("path").to_str() == Some("manifest.json") {
            std::io::Read::read_to_string(&mut e, &mut manifest).expect("manifest");
        }
    }
    let m: Value = serde_json::from_str(&manifest).expect("manifest json");
    let layer = m[0]["Layers"][0].as_str().expect("a layer").to_owned();
    let out = env.d.dir().join("busybox-layer.tar");
    let mut a = read();
    for e in a.entries().expect("entries") {
        let mut e = e.expect("entry");
        if e.path().expect("path").to_str() == Some(layer.as_str()) {
            e.unpack(&out).expect("unpack the layer");
            return out;
        }
    }
    panic!("no {layer} in the busybox archive");
}

#[test]
#[ignore = "privileged"]
fn health_check_from_the_image() {
    let env = Env::new("healthi");
    let d = &env.d;
    let layer = busybox_layer(&env);
    d.docker_ok(&[
        "import",
        "--change",
        "HEALTHCHECK --interval=150ms --retries=1 CMD [\"/bin/sh\", \"-c\", \"test -e /tmp/up\"]",
        layer.to_str().expect("utf-8"),
        "hc:1",
    ]);
    d.docker_ok(&[
        "run",
        "-d",
        "--name",
        "img",
        "hc:1",
        "/bin/sh",
        "-c",
        "touch /tmp/up; sleep 300",
    ]);
    let h = wait_for(&env, "img", "healthy", Duration::from_secs(5));
    assert_eq!(h["Log"][0]["ExitCode"], 0, "{h}");
    let cfg = d.docker_ok(&["inspect", "-f", "{{json .Config.Healthcheck}}", "img"]);
    assert_eq!(
        cfg.trim(),
        r#"{"Test":["CMD","/bin/sh","-c","test -e /tmp/up"],"Interval":150000000,"Retries":1}"#
    );
    // The request's own fields win over the image's; the rest still comes from it.
    d.docker_ok(&[
        "run",
        "-d",
        "--name",
        "mine",
        "--health-retries",
        "4",
        "hc:1",
        "sleep",
        "300",
    ]);
    let cfg = d.docker_ok(&["inspect", "-f", "{{json .Config.Healthcheck}}", "mine"]);
    let cfg: Value = serde_json::from_str(&cfg).expect("json");
    assert_eq!(cfg["Retries"], 4);
    assert_eq!(cfg["Interval"], 150_000_000);
    let h = wait_for(&env, "mine", "unhealthy", Duration::from_secs(5));
    assert_eq!(h["Log"][0]["ExitCode"], 1, "{h}");
}

//! Health survives a daemon SIGKILL (issue 12): the re-adopted run keeps its status, failing
//! streak and log, and its checks go on.

use std::time::{Duration, Instant};

use testkit::{NetNs, Wharfd};

use crate::containers::{BIN, load_busybox, ok};

fn health(d: &Wharfd) -> serde_json::Value {
    let out = ok(d, &["inspect", "-f", "{{json .State.Health}}", "hc"]);
    serde_json::from_str(out.trim()).expect("json")
}

#[test]
#[ignore = "privileged"]
fn health_is_kept_across_a_daemon_sigkill() {
    let ns = NetNs::new("healthkill").expect("netns");
    let mut first = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    load_busybox(&first);
    ok(
        &first,
        &[
            "run",
            "-d",
            "--name",
            "hc",
            "--health-cmd",
            "cat /tmp/ok",
            "--health-interval",
            "300ms",
            "--health-retries",
            "2",
            "busybox",
            "sh",
            "-c",
            "touch /tmp/ok; sleep 1000",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while health(&first)["Status"] != "healthy" {
        assert!(
            Instant::now() < deadline,
            "never healthy: {}",
            health(&first)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    ok(&first, &["exec", "hc", "rm", "/tmp/ok"]);
    while health(&first)["Status"] != "unhealthy" {
        assert!(
            Instant::now() < deadline,
            "never unhealthy: {}",
            health(&first)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let before = health(&first);
    first.kill().expect("SIGKILL wharfd");
    let second = Wharfd::builder(BIN)
        .dir(first.dir())
        .start(&ns)
        .expect("wharfd restarts");
    // Right away: the run's health as it was, not `starting` again.
    let after = health(&second);
    assert_eq!(after["Status"], "unhealthy", "{after}");
    assert!(after["FailingStreak"].as_i64() >= before["FailingStreak"].as_i64());
    assert!(!after["Log"].as_array().expect("log").is_empty(), "{after}");
    // The checks go on: healthy again once the probe succeeds.
    ok(&second, &["exec", "hc", "touch", "/tmp/ok"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while health(&second)["Status"] != "healthy" {
        assert!(
            Instant::now() < deadline,
            "checks stopped: {}",
            health(&second)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    ok(&second, &["rm", "-f", "hc"]);
}

//! The build cache through the real CLI: the checksum memo (the daemon's debug log counts the
//! files it hashed and those whose digest it remembered), what misses after a change, what a
//! `touch` keeps, the memo across a restart and a SIGKILL mid-build, and `builder prune`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use testkit::Wharfd;

use crate::containers::{BIN, Env, ok};

const DOCKERFILE: &str =
    "FROM busybox\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\nCMD cat /a.txt /b.txt\n";

fn context(env: &Env) -> PathBuf {
    let dir = env.d.dir().join("ctx");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("Dockerfile"), DOCKERFILE).expect("write");
    std::fs::write(dir.join("a.txt"), "one\n").expect("write");
    std::fs::write(dir.join("b.txt"), "bee\n").expect("write");
    dir
}

fn build(d: &Wharfd, dir: &Path) -> String {
    ok(d, &["build", "-t", "memo:1", dir.to_str().expect("utf-8")])
}

/// The last "build context received" line's `hashed` and `remembered` counts.
fn counts(d: &Wharfd) -> (u64, u64) {
    let log = d.log();
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("build context received"))
        .unwrap_or_else(|| panic!("no build context line in the log:\n{log}"));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line}"))
    };
    (field("hashed"), field("remembered"))
}

fn set_mtime(path: &Path, t: SystemTime) {
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    f.set_modified(t).expect("set mtime");
}

#[test]
#[ignore = "privileged"]
fn the_memo_serves_unchanged_files_only() {
    let env = Env::new("bcmemo", &["--log-level", "debug"]);
    let dir = context(&env);
    let first = build(&env.d, &dir);
    assert!(!first.contains("Using cache"), "{first}");
    // Dockerfile, a.txt and b.txt: all hashed the first time.
    assert_eq!(counts(&env.d), (3, 0));

    let again = build(&env.d, &dir);
    assert_eq!(again.matches(" ---> Using cache\n").count(), 3, "{again}");
    assert_eq!(counts(&env.d), (0, 3));

    // b.txt's bytes change, its size and time do not: the tar header is the same, the
    // remembered digest must not be served.
    let b = dir.join("b.txt");
    let t = std::fs::metadata(&b)
        .expect("stat")
        .modified()
        .expect("mtime");
    std::fs::write(&b, "BEE\n").expect("write");
    set_mtime(&b, t);
    let changed = build(&env.d, &dir);
    let (before, after) = changed.split_once("Step 3/4").expect("step 3");
    assert_eq!(before.matches("Using cache").count(), 1, "{changed}");
    assert!(!after.contains("Using cache"), "{changed}");
    assert_eq!(counts(&env.d), (1, 2));
    let shown = env.ok(&["run", "--rm", "memo:1"]);
    assert_eq!(shown, "one\nBEE\n");

    // Only a.txt's time changes: hashed again (its header changed), same digest, all cached.
    set_mtime(
        &dir.join("a.txt"),
        SystemTime::now() + Duration::from_secs(5),
    );
    let touched = build(&env.d, &dir);
    assert_eq!(
        touched.matches(" ---> Using cache\n").count(),
        3,
        "{touched}"
    );
    assert_eq!(counts(&env.d), (1, 2));
}

#[test]
#[ignore = "privileged"]
fn the_memo_survives_a_restart_and_a_sigkill_mid_build() {
    let env = Env::new("bckill", &["--log-level", "debug"]);
    let dir = context(&env);
    // A context big enough to be still arriving when the daemon is killed.
    let big = dir.join("big");
    std::fs::create_dir_all(&big).expect("mkdir");
    write_big(&big, 0x2545_f491_4f6c_dd1d);
    build(&env.d, &dir);
    assert_eq!(counts(&env.d), (27, 0));
    let mut env = env;
    env.d.terminate(Duration::from_secs(10)).expect("stopped");

    let second = restart(&env);
    let again = build(&second, &dir);
    assert_eq!(again.matches(" ---> Using cache\n").count(), 3, "{again}");
    assert_eq!(counts(&second), (0, 27));

    // Killed while a build (every file changed) is receiving its context.
    write_big(&big, 0x9e37_79b9_7f4a_7c15);
    std::fs::write(dir.join("a.txt"), "two\n").expect("write");
    let seen = second.log().len();
    let mut cli = second
        .docker_command(&["build", "-t", "memo:1", dir.to_str().expect("utf-8")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker build");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !second.log()[seen..].contains("build request") {
        assert!(Instant::now() < deadline, "the build never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut second = second;
    second.kill().expect("SIGKILL wharfd");
    let _ = cli.wait();

    let third = restart(&env);
    let out = build(&third, &dir);
    assert!(out.contains("Successfully tagged memo:1"), "{out}");
    let shown = ok(&third, &["run", "--rm", "memo:1"]);
    assert_eq!(shown, "two\nbee\n");
}

/// Another daemon on `env`'s directory (the first one stopped or killed).
fn restart(env: &Env) -> Wharfd {
    Wharfd::builder(BIN)
        .dir(env.d.dir())
        .args(["--log-level", "debug"])
        .start(env.ns())
        .expect("wharfd restarts")
}

/// 24 files of 1 MiB of incompressible bytes from `seed` in `dir`.
fn write_big(dir: &Path, seed: u64) {
    let mut x = seed;
    for i in 0..24 {
        let mut data = Vec::with_capacity(1 << 20);
        while data.len() < 1 << 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.extend_from_slice(&x.to_le_bytes());
        }
        std::fs::write(dir.join(format!("f{i:02}")), data).expect("write");
    }
}

#[test]
#[ignore = "privileged"]
fn builder_prune_removes_the_memo() {
    let env = Env::new("bcprune", &["--log-level", "debug"]);
    let dir = context(&env);
    build(&env.d, &dir);
    let pruned = env.ok(&["builder", "prune", "-f"]);
    let ids: Vec<&str> = pruned
        .split("Deleted build cache objects:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{pruned}"))
        .lines()
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(ids.len(), 3, "{pruned}");
    assert!(!pruned.contains("Total reclaimed space: 0B"), "{pruned}");

    // The images are the classic builder's cache and stay; the files are hashed again.
    let again = build(&env.d, &dir);
    assert_eq!(again.matches(" ---> Using cache\n").count(), 3, "{again}");
    assert_eq!(counts(&env.d), (3, 0));
    assert_eq!(env.ok(&["run", "--rm", "memo:1"]), "one\nbee\n");

    // Filters: dockerd's refusals, `until` keeps what was recorded since, `id` selects.
    let refused = env.fails(&["builder", "prune", "-f", "--filter", "bogus=1"]);
    assert!(refused.contains("invalid filter 'bogus'"), "{refused}");
    let refused = env.fails(&[
        "builder",
        "prune",
        "-f",
        "--filter",
        "until=1h",
        "--filter",
        "unused-for=1h",
    ]);
    assert!(
        refused.contains("conflicting filters: \"until\" and \"unused-for\""),
        "{refused}"
    );
    let refused = env.fails(&["builder", "prune", "-f", "--filter", "until=soon"]);
    assert!(
        refused.contains("\"until\" filter expects a duration (e.g., '24h') or a timestamp"),
        "{refused}"
    );
    let kept = env.ok(&["builder", "prune", "-f", "--filter", "until=1h"]);
    assert_eq!(kept.trim(), "Total reclaimed space: 0B");
    let none = env.ok(&["builder", "prune", "-f", "--filter", "inuse=true"]);
    assert_eq!(none.trim(), "Total reclaimed space: 0B");
    // A record has no labels; `--keep-storage` spares the newest records within its bytes
    // (here all three: without it they would all go).
    let none = env.ok(&["builder", "prune", "-f", "--filter", "label=team=a"]);
    assert_eq!(none.trim(), "Total reclaimed space: 0B");
    let kept = env.ok(&["builder", "prune", "-f", "--keep-storage", "1MB"]);
    assert_eq!(kept.trim(), "Total reclaimed space: 0B");
    let one = env.ok(&[
        "builder",
        "prune",
        "-f",
        "--filter",
        &format!("id={}", ids[0]),
    ]);
    assert!(one.contains(ids[0]), "{one}");

    // Nothing left: nothing deleted.
    env.ok(&["builder", "prune", "-f"]);
    let empty = env.ok(&["builder", "prune", "-f"]);
    assert_eq!(empty.trim(), "Total reclaimed space: 0B");

    // `system prune` prunes the build cache too.
    build(&env.d, &dir);
    let system = env.ok(&["system", "prune", "-f"]);
    assert!(system.contains("Total reclaimed space"), "{system}");
    build(&env.d, &dir);
    assert_eq!(counts(&env.d), (3, 0));
}

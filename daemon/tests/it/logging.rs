//! Log drivers through the real CLI (issue 13): json-file rotation (`max-size`, `max-file`,
//! `compress`) with `docker logs` reading the union of the rotated files, also following
//! across rotations; `local`; `none`; the daemon's default driver and options; refusals in
//! dockerd's words.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use testkit::Wharfd;

use crate::containers::Env;

/// The files beside a container's log, sorted.
fn log_files(dir: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("container dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

/// Runs busybox printing `line 1` … `line n` with `args`, waits for it, returns its ID.
fn printer(env: &Env, args: &[&str], n: u32) -> String {
    let mut argv = vec!["run", "-d"];
    argv.extend_from_slice(args);
    let script = format!("for i in $(seq 1 {n}); do echo line $i; done");
    argv.extend(["busybox", "sh", "-c", &script]);
    let id = env.ok(&argv).trim().to_owned();
    assert_eq!(env.ok(&["wait", &id]).trim(), "0");
    id
}

/// Starts busybox printing `line 1` … `line n` 20 ms apart into 1k log files with `opts`,
/// between the commands `before` and `after`; returns its ID.
fn slow_printer(env: &Env, opts: &[&str], before: &str, n: u32, after: &str) -> String {
    let script =
        format!("{before}; for i in $(seq 1 {n}); do echo line $i; sleep 0.02; done{after}");
    let mut argv = vec!["run", "-d", "--log-opt", "max-size=1k"];
    argv.extend_from_slice(opts);
    argv.extend(["busybox", "sh", "-c", &script]);
    env.ok(&argv).trim().to_owned()
}

/// Asserts that `out` is `line k` … `line last` for some `k`, and returns how many.
fn consecutive_to(out: &str, last: u32) -> usize {
    let nums: Vec<u32> = out
        .lines()
        .map(|l| {
            l.strip_prefix("line ")
                .and_then(|n| n.parse().ok())
                .expect(l)
        })
        .collect();
    assert_eq!(nums.last(), Some(&last), "{out}");
    let first = nums[0];
    assert_eq!(nums, (first..=last).collect::<Vec<_>>(), "{out}");
    nums.len()
}

fn log_dir(env: &Env, id: &str) -> PathBuf {
    let path = env.ok(&["inspect", "--format", "{{.LogPath}}", id]);
    let path = PathBuf::from(path.trim());
    path.parent().expect("log dir").to_owned()
}

#[test]
#[ignore = "privileged"]
fn json_file_rotation_keeps_max_file_files_and_logs_reads_their_union() {
    let env = Env::new("logrot", &[]);
    let opts = ["--log-opt", "max-size=1k", "--log-opt", "max-file=3"];
    let id = printer(&env, &opts, 300);
    let dir = log_dir(&env, &id);
    let files = log_files(&dir, &id);
    let base = format!("{id}-json.log");
    assert_eq!(
        files,
        [base.clone(), format!("{base}.1"), format!("{base}.2")]
    );
    for f in &files[1..] {
        let size = std::fs::metadata(dir.join(f)).expect("rotated file").len();
        // Rotated once past 1000 bytes: by less than one entry.
        assert!((1000..1100).contains(&size), "{f}: {size}");
    }
    let all = env.ok(&["logs", &id]);
    let n = consecutive_to(&all, 300);
    assert!((20..60).contains(&n), "{n} lines in 3 files of 1k");
    let tail = env.ok(&["logs", "--tail", "3", &id]);
    assert_eq!(tail, "line 298\nline 299\nline 300\n");
    // compress: the rotated files are gzipped, as moby names them.
    let id = printer(
        &env,
        &[&opts[..], &["--log-opt", "compress=true"]].concat(),
        300,
    );
    let dir = log_dir(&env, &id);
    let base = format!("{id}-json.log");
    assert_eq!(
        log_files(&dir, &id),
        [base.clone(), format!("{base}.1.gz"), format!("{base}.2.gz")]
    );
    let gz = std::fs::read(dir.join(format!("{base}.1.gz"))).expect("gz");
    assert_eq!(gz[..2], [0x1f, 0x8b]);
    consecutive_to(&env.ok(&["logs", &id]), 300);

    // labels, env and tag: written with every entry, shown by `--details`.
    let id = env.ok(&[
        "run",
        "-d",
        "--name",
        "tagged",
        "--label",
        "app=web",
        "-e",
        "A=1 2",
        "--log-opt",
        "labels=app",
        "--log-opt",
        "env=A",
        "--log-opt",
        "tag={{.Name}}",
        "busybox",
        "echo",
        "hi",
    ]);
    env.ok(&["wait", id.trim()]);
    assert_eq!(
        env.ok(&["logs", "--details", "tagged"]),
        "A=1+2,app=web,tag=tagged hi\n"
    );
    assert_eq!(env.ok(&["logs", "tagged"]), "hi\n");

    // max-file=1 truncates in place: only the newest entries, one file.
    let id = printer(&env, &["--log-opt", "max-size=1k"], 300);
    assert_eq!(log_files(&log_dir(&env, &id), &id).len(), 1);
    consecutive_to(&env.ok(&["logs", &id]), 300);
}

#[test]
#[ignore = "privileged"]
fn logs_follow_across_rotations() {
    let env = Env::new("logfollow", &[]);
    let id = slow_printer(&env, &["--log-opt", "max-file=2"], "sleep 1", 120, "");
    let out = env
        .d
        .docker_command(&["logs", "-f", &id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("docker logs -f");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every line, though the files were rotated (and the oldest removed) on the way.
    let n = consecutive_to(&String::from_utf8_lossy(&out.stdout), 120);
    assert_eq!(n, 120);
}

#[test]
#[ignore = "privileged"]
fn local_and_none_drivers() {
    let env = Env::new("logdrv", &[]);
    // local: protobuf entries in local-logs/container.log, readable by docker logs.
    let id = printer(
        &env,
        &["--log-driver", "local", "--log-opt", "max-size=1k"],
        200,
    );
    assert_eq!(
        env.ok(&["inspect", "--format", "{{.LogPath}}", &id]).trim(),
        ""
    );
    consecutive_to(&env.ok(&["logs", &id]), 200);
    assert_eq!(env.ok(&["logs", "--tail", "1", &id]), "line 200\n");
    let info = env.ok(&["info", "--format", "{{json .Plugins.Log}}"]);
    assert!(
        info.contains("\"local\"") && info.contains("\"json-file\""),
        "{info}"
    );

    // none: attach still shows the output, docker logs refuses as dockerd does.
    let out = env.ok(&[
        "run",
        "--name",
        "quiet",
        "--log-driver",
        "none",
        "busybox",
        "echo",
        "hi",
    ]);
    assert_eq!(out, "hi\n");
    let err = env.fails(&["logs", "quiet"]);
    assert!(
        err.contains("configured logging driver does not support reading"),
        "{err}"
    );
    assert_eq!(
        env.ok(&["inspect", "--format", "{{.LogPath}}", "quiet"])
            .trim(),
        ""
    );
}

#[test]
#[ignore = "privileged"]
fn refusals_in_dockerds_words() {
    let env = Env::new("logrefuse", &[]);
    let create = |args: &[&str]| {
        let mut argv = vec!["create"];
        argv.extend_from_slice(args);
        argv.push("busybox");
        env.fails(&argv)
    };
    for (args, message) in [
        (
            &["--log-opt", "x=1"][..],
            "unknown log opt 'x' for json-file log driver",
        ),
        (
            &["--log-driver", "gelf"],
            "logger: no log driver named 'gelf' is registered",
        ),
        (
            &["--log-driver", "local", "--log-opt", "env=A"],
            "unknown log opt 'env' for log driver local",
        ),
        (
            &["--log-opt", "mode=fast"],
            "logger: logging mode not supported: fast",
        ),
    ] {
        let err = create(args);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    // Values, and drivers the host cannot serve, fail at start, as in dockerd.
    for (args, message) in [
        (&["--log-opt", "max-size=abc"][..], "invalid size: 'abc'"),
        (
            &["--log-opt", "max-file=0"],
            "max-file cannot be less than 1",
        ),
        (
            &["--log-opt", "compress=true"],
            "compress cannot be true when max-file is less than 2 or max-size is not set",
        ),
        (
            &["--log-driver", "local", "--log-opt", "max-file=1"],
            "compression cannot be enabled when max file count is 1",
        ),
        (&["--log-driver", "syslog"], "Unix syslog delivery error"),
        (
            &["--log-driver", "journald"],
            "journald is not enabled on this host",
        ),
    ] {
        let mut argv = vec!["run"];
        argv.extend_from_slice(args);
        argv.extend(["busybox", "true"]);
        let err = env.fails(&argv);
        let want = format!("failed to initialize logging driver: {message}");
        assert!(err.contains(&want), "{args:?}: {err}");
    }
}

#[test]
#[ignore = "privileged"]
fn the_daemons_default_driver_and_options() {
    let env = Env::new(
        "logdefault",
        &["--log-opt", "max-size=1k", "--log-opt", "max-file=2"],
    );
    let id = printer(&env, &[], 200);
    let lc = env.ok(&["inspect", "--format", "{{json .HostConfig.LogConfig}}", &id]);
    assert_eq!(
        lc.trim(),
        r#"{"Type":"json-file","Config":{"max-file":"2","max-size":"1k"}}"#
    );
    assert_eq!(log_files(&log_dir(&env, &id), &id).len(), 2);
    consecutive_to(&env.ok(&["logs", &id]), 200);
    // The container's own option wins; another driver gets none of the defaults.
    let id = printer(&env, &["--log-opt", "max-file=3"], 10);
    let lc = env.ok(&[
        "inspect",
        "--format",
        "{{json .HostConfig.LogConfig.Config}}",
        &id,
    ]);
    assert_eq!(lc.trim(), r#"{"max-file":"3","max-size":"1k"}"#);
    let id = printer(&env, &["--log-driver", "local"], 10);
    let lc = env.ok(&["inspect", "--format", "{{json .HostConfig.LogConfig}}", &id]);
    assert_eq!(lc.trim(), r#"{"Type":"local","Config":{}}"#);

    let env = Env::new("logdefault2", &["--log-driver", "local"]);
    assert_eq!(
        env.ok(&["info", "--format", "{{.LoggingDriver}}"]).trim(),
        "local"
    );
    let id = printer(&env, &[], 5);
    let lc = env.ok(&["inspect", "--format", "{{.HostConfig.LogConfig.Type}}", &id]);
    assert_eq!(lc.trim(), "local");
    consecutive_to(&env.ok(&["logs", &id]), 5);
}

#[test]
#[ignore = "privileged"]
fn the_monitor_rotates_while_the_daemon_is_down() {
    let mut env = Env::new("logcrash", &[]);
    let opts = ["--log-opt", "max-file=3", "--log-opt", "compress=true"];
    let id = slow_printer(&env, &opts, "sleep 2", 150, "; sleep 300");
    let dir = log_dir(&env, &id);
    env.d.kill().expect("SIGKILL wharfd");
    // No daemon: the monitor writes and rotates on its own.
    let base = format!("{id}-json.log");
    let want = [base.clone(), format!("{base}.1.gz"), format!("{base}.2.gz")];
    let deadline = Instant::now() + Duration::from_secs(20);
    while log_files(&dir, &id) != want {
        assert!(Instant::now() < deadline, "{:?}", log_files(&dir, &id));
        std::thread::sleep(Duration::from_millis(100));
    }
    let second = Wharfd::builder(env!("CARGO_BIN_EXE_wharfd"))
        .dir(env.d.dir())
        .start(env.ns())
        .expect("wharfd restarts");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let logs = second.docker_ok(&["logs", &id]);
        if logs.ends_with("line 150\n") {
            consecutive_to(&logs, 150);
            break;
        }
        assert!(Instant::now() < deadline, "{logs}");
        std::thread::sleep(Duration::from_millis(100));
    }
    second.docker_ok(&["rm", "-f", &id]);
    drop(second);
}

//! `docker exec` started by the exec monitor itself instead of `runc exec` (issue 12): the
//! process is set up exactly as runc sets up the container's PID 1 (credentials, capabilities,
//! seccomp, cgroups, namespaces, rlimits, `oom_score_adj`), fails in runc's words, and is held
//! by `docker top` and `docker pause`; a runtime that is not runc still goes through it.
//!
//! The daemon's runtimes are wrappers that log each call and exec runc: one named `runc` (the
//! native path's, the default) and one named otherwise (the fallback's).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::containers::Env;

struct Rig {
    env: Env,
    native_log: PathBuf,
    other_log: PathBuf,
    _tmp: tempfile::TempDir,
}

/// A runtime wrapper at `path` that appends its arguments to `log` and execs runc.
fn wrapper(path: &Path, log: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> {}\nexec /usr/sbin/runc \"$@\"\n",
        log.display()
    );
    std::fs::write(path, script).expect("wrapper");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn rig(tag: &str) -> Rig {
    let tmp = tempfile::tempdir().expect("tempdir");
    let native_log = tmp.path().join("native.log");
    let other_log = tmp.path().join("other.log");
    let native = tmp.path().join("native/runc");
    let other = tmp.path().join("other/runc-wrapper");
    wrapper(&native, &native_log);
    wrapper(&other, &other_log);
    let native_arg = format!("watched={}", native.display());
    let other_arg = format!("other={}", other.display());
    let env = Env::new(
        tag,
        &[
            "--add-runtime",
            &native_arg,
            "--add-runtime",
            &other_arg,
            "--default-runtime",
            "watched",
        ],
    );
    Rig {
        env,
        native_log,
        other_log,
        _tmp: tmp,
    }
}

/// How many times the runtime logging to `log` was asked to `exec`.
fn runc_execs(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.split_whitespace().any(|w| w == "exec"))
        .count()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn inspect(env: &Env, path: &str) -> Value {
    let r = env.d.request("GET", path, None).expect("request");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().expect("json")
}

/// The host PID of the container's PID 1.
fn init_pid(env: &Env, c: &str) -> i64 {
    inspect(env, &format!("/containers/{c}/json"))["State"]["Pid"]
        .as_i64()
        .expect("Pid")
}

/// Starts `docker exec -d ARGS c CMD...` and returns its process's host PID.
fn exec_pid(env: &Env, c: &str, args: &[&str], cmd: &[&str]) -> i64 {
    let mut argv = vec!["exec", "-d"];
    argv.extend_from_slice(args);
    argv.push(c);
    argv.extend_from_slice(cmd);
    env.ok(&argv);
    let ids = inspect(env, &format!("/containers/{c}/json"))["ExecIDs"].clone();
    let id = ids
        .as_array()
        .and_then(|a| a.last())
        .and_then(Value::as_str)
        .expect("a running exec")
        .to_owned();
    inspect(env, &format!("/exec/{id}/json"))["Pid"]
        .as_i64()
        .expect("Pid")
}

/// What runc sets up for a process, as the host sees it in `/proc/<pid>`.
fn setup_of(pid: i64) -> Vec<String> {
    let dir = PathBuf::from(format!("/proc/{pid}"));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
    let fields = [
        "CapInh",
        "CapPrm",
        "CapEff",
        "CapBnd",
        "CapAmb",
        "NoNewPrivs",
        "Seccomp",
        "Seccomp_filters",
        "Uid",
        "Gid",
        "Groups",
    ];
    let status = read("status");
    let mut out: Vec<String> = status
        .lines()
        .filter(|l| fields.iter().any(|f| l.starts_with(&format!("{f}:"))))
        .map(str::to_owned)
        .collect();
    out.push(read("cgroup"));
    out.push(read("limits"));
    out.push(format!("oom_score_adj {}", read("oom_score_adj").trim()));
    for ns in ["ipc", "uts", "net", "pid", "cgroup", "mnt"] {
        let link = std::fs::read_link(dir.join("ns").join(ns)).expect("ns link");
        out.push(link.display().to_string());
    }
    out
}

#[test]
#[ignore = "privileged"]
fn native_exec_is_set_up_as_the_containers_init() {
    let rig = rig("xnat");
    let env = &rig.env;
    let cases: [&[&str]; 7] = [
        &[],
        &["--cap-drop", "ALL", "--cap-add", "NET_RAW"],
        &["--user", "1000:1000", "--group-add", "5"],
        &["--security-opt", "no-new-privileges"],
        &["--ulimit", "nofile=100:200"],
        &["--oom-score-adj", "300"],
        &["--cgroupns", "private"],
    ];
    for (i, run_args) in cases.iter().enumerate() {
        let name = format!("c{i}");
        sleeper(env, &name, run_args);
        let init = setup_of(init_pid(env, &name));
        let exec = setup_of(exec_pid(env, &name, &[], &["sleep", "301"]));
        assert_eq!(exec, init, "docker run {run_args:?}");
        env.ok(&["rm", "-f", &name]);
    }
    assert_eq!(runc_execs(&rig.native_log), 0, "runc exec ran");

    // `--privileged` gets every capability the daemon has; `-u` is that user.
    sleeper(env, "p1", &[]);
    let own = std::fs::read_to_string("/proc/self/status").expect("status");
    let bounding = own
        .lines()
        .find(|l| l.starts_with("CapBnd:"))
        .expect("CapBnd")
        .split_whitespace()
        .nth(1)
        .expect("mask")
        .to_owned();
    let privileged = setup_of(exec_pid(env, "p1", &["--privileged"], &["sleep", "302"]));
    for set in ["CapPrm", "CapEff", "CapBnd"] {
        assert!(
            privileged.contains(&format!("{set}:\t{bounding}")),
            "{set}: {privileged:?}"
        );
    }
    assert_eq!(
        env.ok(&["exec", "-u", "123:456", "p1", "id"]),
        "uid=123 gid=456\n"
    );
    assert_eq!(runc_execs(&rig.native_log), 0, "runc exec ran");
}

#[test]
#[ignore = "privileged"]
fn native_exec_stdio_failures_seccomp_top_and_pause() {
    let rig = rig("xnio");
    let env = &rig.env;
    let profile = rig._tmp.path().join("nomkdir.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#,
    )
    .expect("profile");
    let seccomp = format!("seccomp={}", profile.display());
    sleeper(env, "c1", &[]);
    sleeper(env, "s1", &["--security-opt", &seccomp]);
    sleeper(env, "f1", &["--runtime", "other"]);

    // The profile holds for the exec: mkdir fails, the rest works.
    let out = env.docker(&["exec", "s1", "mkdir", "/x"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr).contains("Operation not permitted"),
        "{out:?}"
    );
    env.ok(&["exec", "s1", "true"]);

    // stdio: a tty, stdin, the working directory, the environment.
    assert_eq!(env.ok(&["exec", "-t", "c1", "tty"]), "/dev/pts/0\r\n");
    let input = rig._tmp.path().join("input");
    std::fs::write(&input, "echoed\n").expect("input");
    let out = env
        .d
        .docker_command(&["exec", "-i", "c1", "cat"])
        .stdin(std::fs::File::open(&input).expect("input"))
        .output()
        .expect("cat");
    assert_eq!(text(&out.stdout), "echoed\n");
    assert_eq!(env.ok(&["exec", "-w", "/tmp", "c1", "pwd"]), "/tmp\n");
    assert_eq!(
        env.ok(&["exec", "-e", "A=1", "c1", "sh", "-c", "echo $A"]),
        "1\n"
    );
    assert_eq!(env.ok(&["exec", "c1", "sh", "-c", "echo $HOME"]), "/root\n");

    // What cannot start fails with runc's own words and dockerd's exit codes: the same as
    // through runc (the container on the other runtime).
    let failures: [&[&str]; 5] = [
        &["nosuchcmd"],
        &["/etc"],
        &["/etc/passwd"],
        &["/nope"],
        &["-w", "/nope", "true"],
    ];
    for args in failures {
        let run = |c: &str| {
            let mut argv = vec!["exec"];
            let (flags, cmd) = args.split_at(if args[0] == "-w" { 2 } else { 0 });
            argv.extend_from_slice(flags);
            argv.push(c);
            argv.extend_from_slice(cmd);
            let out = env.docker(&argv);
            (out.status.code(), text(&out.stdout), text(&out.stderr))
        };
        let native = run("c1");
        assert_eq!(native, run("f1"), "docker exec {args:?}");
        assert!(
            native.1.starts_with("OCI runtime exec failed: "),
            "{native:?}"
        );
    }
    assert_eq!(run_code(env, &["exec", "c1", "nosuchcmd"]), Some(127));
    assert_eq!(run_code(env, &["exec", "c1", "/etc"]), Some(126));

    // The exec is in the container's cgroup: `docker top` lists it, `docker pause` freezes it.
    let pid = exec_pid(
        env,
        "c1",
        &[],
        &[
            "sh",
            "-c",
            "while :; do date >> /tmp/ticks; sleep 0.2; done",
        ],
    );
    let top = env.ok(&["top", "c1"]);
    assert!(top.contains(&pid.to_string()), "{top}");
    let ticks_file = format!("/proc/{}/root/tmp/ticks", init_pid(env, "c1"));
    let ticks = || {
        std::fs::read_to_string(&ticks_file)
            .unwrap_or_default()
            .lines()
            .count()
    };
    env.ok(&["pause", "c1"]);
    std::thread::sleep(Duration::from_millis(300));
    let paused = ticks();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(ticks(), paused, "the exec ran while paused");
    env.ok(&["unpause", "c1"]);
    std::thread::sleep(Duration::from_millis(800));
    assert!(ticks() > paused, "the exec did not resume");

    // Native for the runc-named runtime, `runc exec` for the other.
    assert_eq!(runc_execs(&rig.native_log), 0, "runc exec ran");
    assert_eq!(
        runc_execs(&rig.other_log),
        5,
        "the fallback did not run runc exec"
    );
    assert_eq!(env.ok(&["exec", "f1", "echo", "via runc"]), "via runc\n");
    assert_eq!(runc_execs(&rig.other_log), 6);
}

/// `docker run -d --name NAME ARGS busybox sleep 300`.
fn sleeper(env: &Env, name: &str, args: &[&str]) {
    let mut argv = vec!["run", "-d", "--name", name];
    argv.extend_from_slice(args);
    argv.extend(["busybox", "sleep", "300"]);
    env.ok(&argv);
}

fn run_code(env: &Env, args: &[&str]) -> Option<i32> {
    env.docker(args).status.code()
}

/// A container at its PIDs limit still takes an exec, as with runc (which moves a process it
/// made outside; a fork inside would be refused).
#[test]
#[ignore = "privileged"]
fn exec_at_the_pids_limit_runs_as_with_runc() {
    let rig = rig("xnpid");
    let env = &rig.env;
    // sh and five sleeps: six processes, the limit.
    let full = ["--pids-limit", "6"];
    let cmd = [
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3 4 5; do sleep 300 & done; wait",
    ];
    for (name, runtime) in [("pn", "watched"), ("po", "other")] {
        let mut argv = vec!["run", "-d", "--name", name, "--runtime", runtime];
        argv.extend(full);
        argv.extend(cmd);
        env.ok(&argv);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while env.ok(&["top", name]).lines().count() < 7 {
            assert!(
                std::time::Instant::now() < deadline,
                "{name} did not fill up"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    let with_runc = env.docker(&["exec", "po", "echo", "in"]);
    let native = env.docker(&["exec", "pn", "echo", "in"]);
    let show = |o: &std::process::Output| {
        format!(
            "{:?} {} {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert_eq!(
        (native.status.code(), native.stdout.clone()),
        (with_runc.status.code(), with_runc.stdout.clone()),
        "native: {}\nrunc: {}",
        show(&native),
        show(&with_runc)
    );
    assert_eq!(native.stdout, b"in\n", "{}", show(&native));
    // At the limit indeed: the exec's own fork is refused.
    let fork = env.docker(&["exec", "pn", "sh", "-c", "sleep 0 & wait"]);
    assert!(
        String::from_utf8_lossy(&fork.stderr).contains("can't fork"),
        "{}",
        show(&fork)
    );
    // ... and it was the native path: the `watched` runc was never asked to exec.
    assert_eq!(runc_execs(&rig.native_log), 0);
    assert_eq!(runc_execs(&rig.other_log), 1);
}

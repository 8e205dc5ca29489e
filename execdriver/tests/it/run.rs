//! Privileged tests: real containers under runc and the monitor, each in a network namespace
//! the test created. Run with `cargo test -p execdriver -- --ignored` as root.

use crate::common;

use std::time::{Duration, Instant};

use common::{Fixture, log, log_text, wait_monitor_gone, write_file};
use execdriver::{BindMount, Error, Frame, Network, Propagation, Resources, State, Stream};

const WAIT: Option<Duration> = Some(Duration::from_secs(20));

#[test]
#[ignore = "privileged"]
fn echo_hi_is_logged_and_exits_zero() {
    testkit::require_privileged();
    let fx = Fixture::new("echo");
    let (spec, dir) = fx.spec("echo", &["echo", "hi"]);
    let t0 = Instant::now();
    let running = execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    let t_started = t0.elapsed();
    assert!(running.pid > 0 && running.monitor_pid > 0);
    let exit = execdriver::wait_exit(&dir, WAIT).unwrap().expect("exited");
    let t_exit = t0.elapsed();
    eprintln!("echo hi: started after {t_started:?}, exit recorded after {t_exit:?}");
    assert_eq!(
        (exit.exit_code, exit.signal, exit.oom_killed),
        (0, None, false)
    );
    assert_eq!(exit.error, None);
    let entries = log(&dir);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (entries[0].log.as_str(), entries[0].stream),
        ("hi\n", Stream::Stdout)
    );
    let raw = std::fs::read_to_string(dir.log()).unwrap();
    assert!(
        raw.starts_with(r#"{"log":"hi\n","stream":"stdout","time":""#),
        "{raw}"
    );
    // RFC 3339 with nine fraction digits and Z.
    let time = raw.split(r#""time":""#).nth(1).unwrap();
    assert_eq!(time.find('Z'), Some(29), "{time}");
    assert!(matches!(execdriver::state(&dir).unwrap(), State::Exited(e) if e.exit_code == 0));
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
}

#[test]
#[ignore = "privileged"]
fn exit_code_and_stderr() {
    testkit::require_privileged();
    let fx = Fixture::new("exit");
    let (spec, dir) = fx.spec("exit3", &["sh", "-c", "echo oops >&2; exit 3"]);
    execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    let exit = execdriver::wait_exit(&dir, WAIT).unwrap().unwrap();
    assert_eq!((exit.exit_code, exit.signal), (3, None));
    assert_eq!(log_text(&dir, Stream::Stderr), "oops\n");
    assert_eq!(log_text(&dir, Stream::Stdout), "");
}

#[test]
#[ignore = "privileged"]
fn command_not_found_is_127_and_not_executable_is_126() {
    testkit::require_privileged();
    let fx = Fixture::new("notfound");
    let (spec, dir) = fx.spec("nosuch", &["nosuchcmd"]);
    let err = execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap_err();
    let Error::Start { exit_code, message } = &err else {
        panic!("expected a start error, got {err:?}");
    };
    assert_eq!(*exit_code, 127);
    assert!(
        message.contains(r#"exec: "nosuchcmd": executable file not found in $PATH"#),
        "{message}"
    );
    eprintln!(
        "docker would say: {}",
        execdriver::docker_start_message(message)
    );
    let State::Exited(exit) = execdriver::state(&dir).unwrap() else {
        panic!("a failed start is recorded");
    };
    assert_eq!(exit.exit_code, 127);
    assert_eq!(exit.error.as_deref(), Some(message.as_str()));
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);

    let (spec, dir) = fx.spec("noexec", &["/etc/passwd"]);
    let err = execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap_err();
    assert!(
        matches!(&err, Error::Start { exit_code: 126, message } if message.contains("permission denied")),
        "{err:?}"
    );
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
}

#[test]
#[ignore = "privileged"]
fn stdin_reaches_cat_and_attach_sees_output_from_the_start() {
    testkit::require_privileged();
    let fx = Fixture::new("stdin");
    let (mut spec, dir) = fx.spec("cat", &["cat"]);
    spec.open_stdin = true;
    let prepared = execdriver::prepare(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    assert!(matches!(execdriver::state(&dir).unwrap(), State::Starting));
    let mut conn = prepared.attach().unwrap();
    let running = prepared.start().unwrap();
    assert!(matches!(execdriver::state(&dir).unwrap(), State::Running(s) if s.pid == running.pid));
    conn.write_stdin(b"hello\n").unwrap();
    conn.write_stdin(b"world\n").unwrap();
    conn.close_stdin().unwrap();
    let mut out = Vec::new();
    let exit = loop {
        match conn.read_frame().unwrap() {
            Some(Frame::Stdout(b)) => out.extend(b),
            Some(Frame::Exit(e)) => break e,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(String::from_utf8(out).unwrap(), "hello\nworld\n");
    assert_eq!(exit.exit_code, 0);
    assert_eq!(conn.read_frame().unwrap(), None);
    assert_eq!(log_text(&dir, Stream::Stdout), "hello\nworld\n");
}

#[test]
#[ignore = "privileged"]
fn kill_gives_128_plus_signal() {
    testkit::require_privileged();
    let fx = Fixture::new("kill");
    let (spec, dir) = fx.spec("sleep", &["sleep", "60"]);
    execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    assert_eq!(
        execdriver::wait_exit(&dir, Some(Duration::from_millis(200))).unwrap(),
        None
    );
    execdriver::kill(&fx.runtime, &spec.id, "KILL").unwrap();
    let exit = execdriver::wait_exit(&dir, WAIT).unwrap().unwrap();
    assert_eq!((exit.exit_code, exit.signal), (137, Some(9)));
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
    // Killing it again: runc no longer knows it.
    let err = execdriver::kill(&fx.runtime, &spec.id, "KILL").unwrap_err();
    assert!(
        matches!(err, Error::NotFound(_) | Error::Conflict(_)),
        "{err:?}"
    );

    // PID 1 of a namespace dies of SIGTERM only through its own handler, as under Docker:
    // the shell's trap exits 128 + 15.
    let (spec, dir) = fx.spec(
        "term",
        &["sh", "-c", "trap 'exit 143' TERM; sleep 60 & wait"],
    );
    execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    execdriver::kill(&fx.runtime, &spec.id, "TERM").unwrap();
    let exit = execdriver::wait_exit(&dir, WAIT).unwrap().unwrap();
    assert_eq!(exit.exit_code, 143);
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
}

#[test]
#[ignore = "privileged"]
fn monitor_outlives_the_process_that_started_it() {
    testkit::require_privileged();
    let fx = Fixture::new("survive");
    let (spec, dir) = fx.spec(
        "survive",
        &["sh", "-c", "echo before; sleep 1; echo after; exit 7"],
    );
    // A "daemon" of its own: a thread is not enough, so run the start in a child process
    // (this test binary, filtered to the helper below) that exits right after.
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "run::daemon_helper",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WHARF_EXEC_HELPER_ID", &spec.id)
        .env("WHARF_EXEC_HELPER_ROOTFS", &fx.rootfs)
        .env("WHARF_EXEC_HELPER_DIR", dir.path())
        .env("WHARF_EXEC_HELPER_RUNC_ROOT", &fx.runtime.root)
        .env("WHARF_EXEC_HELPER_NETNS", fx.netns.path())
        .env("WHARF_EXEC_HELPER_CGROUP_PARENT", &fx.cgroup_parent)
        .status()
        .unwrap();
    assert!(status.success());
    // The "daemon" is gone; the container runs on and is re-adopted from disk.
    let State::Running(started) = execdriver::state(&dir).unwrap() else {
        panic!("not running after the starter exited");
    };
    assert!(started.pid > 0);
    let exit = execdriver::wait_exit(&dir, WAIT).unwrap().unwrap();
    assert_eq!(exit.exit_code, 7);
    assert_eq!(log_text(&dir, Stream::Stdout), "before\nafter\n");
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
}

/// The "daemon" of [`monitor_outlives_the_process_that_started_it`]; does nothing unless that
/// test runs it.
#[test]
#[ignore = "privileged"]
fn daemon_helper() {
    let Ok(id) = std::env::var("WHARF_EXEC_HELPER_ID") else {
        return;
    };
    let var = |n: &str| std::env::var(n).unwrap();
    let mut spec = execdriver::ContainerSpec::new(
        &id,
        var("WHARF_EXEC_HELPER_ROOTFS"),
        vec![
            "sh".into(),
            "-c".into(),
            "echo before; sleep 1; echo after; exit 7".into(),
        ],
    );
    spec.network = Network::Join(var("WHARF_EXEC_HELPER_NETNS").into());
    spec.cgroup_parent = Some(var("WHARF_EXEC_HELPER_CGROUP_PARENT"));
    let dir = execdriver::ContainerDir::new(&id, var("WHARF_EXEC_HELPER_DIR"));
    let runtime = execdriver::Runtime::runc(var("WHARF_EXEC_HELPER_RUNC_ROOT"));
    execdriver::start(&spec, &dir, &runtime, &Fixture::monitor()).unwrap();
}

#[test]
#[ignore = "privileged"]
fn hostname_etc_files_and_limits() {
    testkit::require_privileged();
    let fx = Fixture::new("host");
    let (mut spec, dir) = fx.spec(
        "host",
        &[
            "sh",
            "-c",
            "hostname; cat /etc/hostname /etc/hosts /etc/resolv.conf; \
             cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; \
             cat /sys/fs/cgroup/cpu/cpu.shares; id",
        ],
    );
    spec.hostname = "myhost".into();
    let files = fx.tmp.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    for (name, text) in [
        ("hostname", "myhost\n"),
        ("hosts", "127.0.0.1 localhost\n"),
        ("resolv.conf", "nameserver 10.0.0.53\n"),
    ] {
        spec.mounts.push(BindMount {
            source: write_file(&files, name, text),
            destination: format!("/etc/{name}").into(),
            readonly: false,
            propagation: Propagation::default(),
        });
    }
    spec.resources = Resources {
        memory: Some(64 << 20),
        cpu_shares: Some(512),
        pids_limit: Some(50),
        ..Resources::default()
    };
    spec.user = execdriver::resolve_user(&fx.rootfs, "nobody").unwrap();
    execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    let exit = execdriver::wait_exit(&dir, WAIT).unwrap().unwrap();
    let out = log_text(&dir, Stream::Stdout);
    assert_eq!(exit.exit_code, 0, "{out}{}", log_text(&dir, Stream::Stderr));
    assert_eq!(
        out,
        "myhost\nmyhost\n127.0.0.1 localhost\nnameserver 10.0.0.53\n67108864\n50\n512\n\
         uid=65534(nobody) gid=65534(nogroup)\n"
    );
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
}

#[test]
#[ignore = "privileged"]
fn tty_mode_with_resize_and_input() {
    testkit::require_privileged();
    let fx = Fixture::new("tty");
    let (mut spec, dir) = fx.spec(
        "tty",
        &[
            "sh",
            "-c",
            "tty; test -t 0 && echo is-a-tty; read line; echo got $line; stty size",
        ],
    );
    spec.tty = true;
    spec.open_stdin = true;
    spec.network = Network::Isolated;
    let prepared = execdriver::prepare(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    let mut conn = prepared.attach().unwrap();
    conn.resize(40, 100).unwrap();
    prepared.start().unwrap();
    conn.write_stdin(b"typed\n").unwrap();
    let mut out = Vec::new();
    let exit = loop {
        match conn.read_frame().unwrap() {
            Some(Frame::Stdout(b)) => out.extend(b),
            Some(Frame::Exit(e)) => break e,
            other => panic!("unexpected {other:?}"),
        }
    };
    let out = String::from_utf8(out).unwrap();
    assert_eq!(exit.exit_code, 0, "{out}");
    assert!(out.contains("/dev/pts/0\r\n"), "{out:?}");
    assert!(out.contains("is-a-tty\r\n"), "{out:?}");
    assert!(out.contains("got typed\r\n"), "{out:?}");
    assert!(out.contains("40 100\r\n"), "{out:?}");
    // The log holds the same bytes, all as stdout.
    assert_eq!(log_text(&dir, Stream::Stdout), out);
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
}

#[test]
#[ignore = "privileged"]
fn oom_kill_is_recorded() {
    testkit::require_privileged();
    let fx = Fixture::new("oom");
    let (mut spec, dir) = fx.spec(
        "oom",
        &["dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"],
    );
    spec.resources = Resources {
        memory: Some(32 << 20),
        memory_swap: Some(32 << 20),
        ..Resources::default()
    };
    execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    let exit = execdriver::wait_exit(&dir, WAIT).unwrap().unwrap();
    assert_eq!((exit.exit_code, exit.oom_killed), (137, true), "{exit:?}");
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
}

#[test]
#[ignore = "privileged"]
fn second_start_of_a_running_container_is_a_conflict() {
    testkit::require_privileged();
    let fx = Fixture::new("conflict");
    let (spec, dir) = fx.spec("twice", &["sleep", "60"]);
    execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    let err = execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    execdriver::kill(&fx.runtime, &spec.id, "9").unwrap();
    assert_eq!(
        execdriver::wait_exit(&dir, WAIT)
            .unwrap()
            .unwrap()
            .exit_code,
        137
    );
    wait_monitor_gone(&dir);
    // Restarting the same container works and starts a fresh record.
    let mut spec2 = spec.clone();
    spec2.args = vec!["true".into()];
    execdriver::start(&spec2, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    assert_eq!(
        execdriver::wait_exit(&dir, WAIT)
            .unwrap()
            .unwrap()
            .exit_code,
        0
    );
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
    assert_eq!(log(&dir).len(), 0);
}

#[test]
#[ignore = "privileged"]
fn killed_monitor_leaves_a_gone_container_that_can_start_again() {
    testkit::require_privileged();
    let fx = Fixture::new("gone");
    let (spec, dir) = fx.spec("gone", &["sleep", "60"]);
    let running = execdriver::start(&spec, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    // The monitor is this test's own process (a detached grandchild): stop it by its PID.
    let status = std::process::Command::new("kill")
        .args(["-KILL", &running.monitor_pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_monitor_gone(&dir);
    assert_eq!(execdriver::state(&dir).unwrap(), State::Gone);
    // The container itself still runs in runc; a new start replaces it.
    assert!(fx.runtime.root.join(&spec.id).exists());
    let mut again = spec.clone();
    again.args = vec!["echo".into(), "again".into()];
    execdriver::start(&again, &dir, &fx.runtime, &Fixture::monitor()).unwrap();
    let exit = execdriver::wait_exit(&dir, WAIT).unwrap().unwrap();
    assert_eq!(exit.exit_code, 0);
    assert_eq!(log_text(&dir, Stream::Stdout), "again\n");
    wait_monitor_gone(&dir);
    fx.assert_cleaned(&spec.id);
}

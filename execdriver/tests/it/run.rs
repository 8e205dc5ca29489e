//! Privileged tests: real containers under runc and the monitor, each in a network namespace
//! the test created. Run with `cargo test -p execdriver -- --ignored` as root.

use crate::common;

use std::time::{Duration, Instant};

use common::{Fixture, read_to_exit, sh};
use execdriver::{Error, Network, Resources, State, Stream};

#[test]
#[ignore = "privileged"]
fn echo_hi_is_logged_and_exits_zero() {
    let fx = Fixture::new("echo");
    let c = fx.container("echo", &["echo", "hi"]);
    let t0 = Instant::now();
    let running = c.start();
    let t_started = t0.elapsed();
    assert!(running.pid > 0 && running.monitor_pid > 0);
    let exit = c.exit();
    let t_exit = t0.elapsed();
    eprintln!("echo hi: started after {t_started:?}, exit recorded after {t_exit:?}");
    assert_eq!(
        (exit.exit_code, exit.signal, exit.oom_killed),
        (0, None, false)
    );
    assert_eq!(exit.error, None);
    let entries = c.log();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (entries[0].log.as_str(), entries[0].stream),
        ("hi\n", Stream::Stdout)
    );
    let raw = std::fs::read_to_string(c.dir.log()).unwrap();
    assert!(
        raw.starts_with(r#"{"log":"hi\n","stream":"stdout","time":""#),
        "{raw}"
    );
    // RFC 3339 with nine fraction digits and Z.
    let time = raw.split(r#""time":""#).nth(1).unwrap();
    assert_eq!(time.find('Z'), Some(29), "{time}");
    assert!(matches!(c.state(), State::Exited(e) if e.exit_code == 0));
    c.assert_cleaned();
}

#[test]
#[ignore = "privileged"]
fn exit_code_and_stderr() {
    let fx = Fixture::new("exit");
    let c = fx.container("exit3", &sh("echo oops >&2; exit 3"));
    let exit = c.run();
    assert_eq!((exit.exit_code, exit.signal), (3, None));
    assert_eq!(c.stderr(), "oops\n");
    assert_eq!(c.stdout(), "");
}

#[test]
#[ignore = "privileged"]
fn command_not_found_is_127_and_not_executable_is_126() {
    let fx = Fixture::new("notfound");
    let c = fx.container("nosuch", &["nosuchcmd"]);
    let err = c.try_start().unwrap_err();
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
    let State::Exited(exit) = c.state() else {
        panic!("a failed start is recorded");
    };
    assert_eq!(exit.exit_code, 127);
    assert_eq!(exit.error.as_deref(), Some(message.as_str()));
    c.assert_cleaned();

    let c = fx.container("noexec", &["/etc/passwd"]);
    let err = c.try_start().unwrap_err();
    assert!(
        matches!(&err, Error::Start { exit_code: 126, message } if message.contains("permission denied")),
        "{err:?}"
    );
    c.assert_cleaned();
}

#[test]
#[ignore = "privileged"]
fn stdin_reaches_cat_and_attach_sees_output_from_the_start() {
    let fx = Fixture::new("stdin");
    let c = fx.container("cat", &["cat"]).stdin();
    let prepared = c.prepare();
    assert!(matches!(c.state(), State::Starting));
    let mut conn = prepared.attach().unwrap();
    let running = prepared.start().unwrap();
    assert!(matches!(c.state(), State::Running(s) if s.pid == running.pid));
    conn.write_stdin(b"hello\n").unwrap();
    conn.write_stdin(b"world\n").unwrap();
    conn.close_stdin().unwrap();
    let (out, exit) = read_to_exit(&mut conn);
    assert_eq!(out, "hello\nworld\n");
    assert_eq!(exit.exit_code, 0);
    assert_eq!(conn.read_frame().unwrap(), None);
    assert_eq!(c.stdout(), "hello\nworld\n");
}

#[test]
#[ignore = "privileged"]
fn kill_gives_128_plus_signal() {
    let fx = Fixture::new("kill");
    let c = fx.container("sleep", &["sleep", "60"]);
    c.start();
    assert_eq!(
        execdriver::wait_exit(&c.dir, Some(Duration::from_millis(200))).unwrap(),
        None
    );
    c.kill("KILL").unwrap();
    let exit = c.exit();
    assert_eq!((exit.exit_code, exit.signal), (137, Some(9)));
    c.assert_cleaned();
    // Killing it again: runc no longer knows it.
    let err = c.kill("KILL").unwrap_err();
    assert!(
        matches!(err, Error::NotFound(_) | Error::Conflict(_)),
        "{err:?}"
    );

    // PID 1 of a namespace dies of SIGTERM only through its own handler, as under Docker:
    // the shell's trap exits 128 + 15.
    let c = fx.container("term", &sh("trap 'exit 143' TERM; sleep 60 & wait"));
    c.start();
    std::thread::sleep(Duration::from_millis(200));
    c.kill("TERM").unwrap();
    assert_eq!(c.exit().exit_code, 143);
    c.assert_cleaned();
}

#[test]
#[ignore = "privileged"]
fn monitor_outlives_the_process_that_started_it() {
    let fx = Fixture::new("survive");
    let c = fx.container("survive", &sh("echo before; sleep 1; echo after; exit 7"));
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
        .env("WHARF_EXEC_HELPER_ID", &c.spec.id)
        .env("WHARF_EXEC_HELPER_ROOTFS", &fx.rootfs)
        .env("WHARF_EXEC_HELPER_DIR", c.dir.path())
        .env("WHARF_EXEC_HELPER_RUNC_ROOT", &fx.runtime.root)
        .env("WHARF_EXEC_HELPER_NETNS", fx.netns.path())
        .env("WHARF_EXEC_HELPER_CGROUP_PARENT", &fx.cgroup_parent)
        .status()
        .unwrap();
    assert!(status.success());
    // The "daemon" is gone; the container runs on and is re-adopted from disk.
    let State::Running(started) = c.state() else {
        panic!("not running after the starter exited");
    };
    assert!(started.pid > 0);
    assert_eq!(c.exit().exit_code, 7);
    assert_eq!(c.stdout(), "before\nafter\n");
    c.assert_cleaned();
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
    let fx = Fixture::new("host");
    let c = fx
        .container(
            "host",
            &sh("hostname; cat /etc/hostname /etc/hosts /etc/resolv.conf; \
                 cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; \
                 cat /sys/fs/cgroup/cpu/cpu.shares; id"),
        )
        .hostname("myhost")
        .etc_file("hostname", "myhost\n")
        .etc_file("hosts", "127.0.0.1 localhost\n")
        .etc_file("resolv.conf", "nameserver 10.0.0.53\n")
        .resources(Resources {
            memory: Some(64 << 20),
            cpu_shares: Some(512),
            pids_limit: Some(50),
            ..Resources::default()
        })
        .user("nobody");
    let exit = c.run();
    let out = c.stdout();
    assert_eq!(exit.exit_code, 0, "{out}{}", c.stderr());
    assert_eq!(
        out,
        "myhost\nmyhost\n127.0.0.1 localhost\nnameserver 10.0.0.53\n67108864\n50\n512\n\
         uid=65534(nobody) gid=65534(nogroup)\n"
    );
    c.assert_cleaned();
}

#[test]
#[ignore = "privileged"]
fn tty_mode_with_resize_and_input() {
    let fx = Fixture::new("tty");
    let c = fx
        .container(
            "tty",
            &sh("tty; test -t 0 && echo is-a-tty; read line; echo got $line; stty size"),
        )
        .tty()
        .stdin()
        .isolated();
    let prepared = c.prepare();
    let mut conn = prepared.attach().unwrap();
    conn.resize(40, 100).unwrap();
    prepared.start().unwrap();
    conn.write_stdin(b"typed\n").unwrap();
    let (out, exit) = read_to_exit(&mut conn);
    assert_eq!(exit.exit_code, 0, "{out}");
    assert!(out.contains("/dev/pts/0\r\n"), "{out:?}");
    assert!(out.contains("is-a-tty\r\n"), "{out:?}");
    assert!(out.contains("got typed\r\n"), "{out:?}");
    assert!(out.contains("40 100\r\n"), "{out:?}");
    // The log holds the same bytes, all as stdout.
    assert_eq!(c.stdout(), out);
    c.assert_cleaned();
}

#[test]
#[ignore = "privileged"]
fn oom_kill_is_recorded() {
    let fx = Fixture::new("oom");
    let c = fx
        .container(
            "oom",
            &["dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"],
        )
        .resources(Resources {
            memory: Some(32 << 20),
            memory_swap: Some(32 << 20),
            ..Resources::default()
        });
    let exit = c.run();
    assert_eq!((exit.exit_code, exit.oom_killed), (137, true), "{exit:?}");
    c.assert_cleaned();
}

#[test]
#[ignore = "privileged"]
fn second_start_of_a_running_container_is_a_conflict() {
    let fx = Fixture::new("conflict");
    let c = fx.container("twice", &["sleep", "60"]);
    c.start();
    let err = c.try_start().unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    c.kill("9").unwrap();
    assert_eq!(c.exit().exit_code, 137);
    common::wait_monitor_gone(&c.dir);
    // Restarting the same container works and starts a fresh record.
    let again = c.with_args(&["true"]);
    assert_eq!(again.run().exit_code, 0);
    again.assert_cleaned();
    assert_eq!(c.log().len(), 0);
}

#[test]
#[ignore = "privileged"]
fn killed_monitor_leaves_a_gone_container_that_can_start_again() {
    let fx = Fixture::new("gone");
    let c = fx.container("gone", &["sleep", "60"]);
    let running = c.start();
    // The monitor is this test's own process (a detached grandchild): stop it by its PID.
    let status = std::process::Command::new("kill")
        .args(["-KILL", &running.monitor_pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    common::wait_monitor_gone(&c.dir);
    assert_eq!(c.state(), State::Gone);
    // The container itself still runs in runc; a new start replaces it.
    assert!(fx.runtime.root.join(&c.spec.id).exists());
    let again = c.with_args(&["echo", "again"]);
    assert_eq!(again.run().exit_code, 0);
    assert_eq!(again.stdout(), "again\n");
    again.assert_cleaned();
}

//! `docker exec` through the real CLI: exit codes, environment, working directory, user,
//! privileges, stdin, tty, detached execs, dockerd's messages for commands that cannot run
//! and for stopped containers, and execs that outlive a daemon SIGKILL.

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::api_env::Env;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn docker(env: &Env, args: &[&str]) -> Output {
    env.d.docker(args).expect("docker runs")
}

/// The container's `ExecIDs`.
fn exec_ids(env: &Env, c: &str) -> Value {
    let r = env.request("GET", &format!("/containers/{c}/json"), None);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().expect("json")["ExecIDs"].clone()
}

fn exec_json(env: &Env, id: &str) -> Value {
    let r = env.request("GET", &format!("/exec/{id}/json"), None);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().expect("json")
}

/// Waits until `f` holds, for at most `limit`.
fn eventually(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "privileged"]
fn exec_exit_codes_environment_workdir_user_and_privileges() {
    let env = Env::new("exec");
    let d = &env.d;
    let id = d
        .docker_ok(&[
            "run", "-d", "--name", "c1", "-e", "A=1", "-w", "/tmp", "busybox", "sleep", "300",
        ])
        .trim()
        .to_owned();

    // The exec's exit code is the command's; its streams stay apart.
    let out = docker(
        &env,
        &["exec", "c1", "sh", "-c", "echo out; echo err >&2; exit 7"],
    );
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert_eq!(text(&out.stdout), "out\n");
    assert_eq!(text(&out.stderr), "err\n");

    // The container's environment, then the exec's (`-e`, `--env-file`), replacing.
    let env_file = d.dir().join("exec.env");
    std::fs::write(&env_file, "C=4\n").expect("env file");
    let out = d.docker_ok(&[
        "exec",
        "-e",
        "B=2",
        "-e",
        "A=3",
        "--env-file",
        env_file.to_str().expect("utf-8"),
        "c1",
        "sh",
        "-c",
        "echo $A $B $C $HOSTNAME $PATH",
    ]);
    assert_eq!(
        out,
        format!(
            "3 2 4 {} /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
            &id[..12]
        )
    );

    // The container's working directory, or `-w`.
    assert_eq!(d.docker_ok(&["exec", "c1", "pwd"]), "/tmp\n");
    assert_eq!(d.docker_ok(&["exec", "-w", "/etc", "c1", "pwd"]), "/etc\n");

    // `-u` resolved in the container's /etc/passwd and /etc/group, as start resolves it.
    assert_eq!(
        d.docker_ok(&["exec", "-u", "nobody", "c1", "id", "-u"]),
        "65534\n"
    );
    assert_eq!(
        d.docker_ok(&["exec", "-u", "1:2", "c1", "id"]),
        "uid=1 gid=2\n"
    );
    assert_eq!(d.docker_ok(&["exec", "c1", "id", "-u"]), "0\n");
    let out = docker(&env, &["exec", "-u", "nosuchuser", "c1", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("unable to find user nosuchuser: no matching entries in passwd file"),
        "{out:?}"
    );

    // `--privileged`: every capability (the test's own bounding set: runc cannot grant more).
    let caps = |args: &[&str]| {
        let mut a = vec!["exec"];
        a.extend_from_slice(args);
        a.extend(["c1", "grep", "CapEff", "/proc/self/status"]);
        d.docker_ok(&a)
    };
    let plain = caps(&[]);
    let privileged = caps(&["--privileged"]);
    assert_eq!(plain, "CapEff:\t00000000a80425fb\n");
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .expect("CapBnd");
    assert_eq!(privileged, format!("CapEff:{bounding}\n"));

    // A command that cannot run: dockerd's words in the output, 127 / 126 as the exit code.
    let out = docker(&env, &["exec", "c1", "nosuchcmd"]);
    assert_eq!(out.status.code(), Some(127), "{out:?}");
    assert_eq!(
        text(&out.stdout),
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \
         \"nosuchcmd\": executable file not found in $PATH: unknown\r\n"
    );
    let out = docker(&env, &["exec", "c1", "/etc"]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    assert!(
        text(&out.stdout).starts_with("OCI runtime exec failed: "),
        "{out:?}"
    );

    // Ended execs are not in ExecIDs.
    assert_eq!(exec_ids(&env, "c1"), Value::Null);

    // A stopped container: dockerd's 409.
    d.docker_ok(&["stop", "-t", "0", "c1"]);
    let out = docker(&env, &["exec", "c1", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("Error response from daemon: Container {id} is not running\n")
    );
    let r = env.request(
        "POST",
        "/containers/c1/exec",
        Some(&serde_json::json!({"Cmd": ["true"]})),
    );
    assert_eq!(r.status, 409);
    assert_eq!(
        r.text(),
        format!("{{\"message\":\"Container {id} is not running\"}}")
    );
    let out = docker(&env, &["exec", "nope", "true"]);
    assert_eq!(
        text(&out.stderr),
        "Error response from daemon: No such container: nope\n"
    );
}

#[test]
#[ignore = "privileged"]
fn exec_stdin_tty_and_detached() {
    let env = Env::new("exect");
    let d = &env.d;
    d.docker_ok(&["run", "-d", "--name", "c1", "busybox", "sleep", "300"]);

    // `-i`: the client's stdin reaches the process, and its end ends the process's.
    let mut child = d
        .docker_command(&["exec", "-i", "c1", "sh", "-c", "cat; echo end"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"hello\nworld\n")
        .expect("write");
    let out = child.wait_with_output().expect("output");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "hello\nworld\nend\n");

    // `-t`: a pseudo-terminal, TERM=xterm, one raw stream.
    let out = d.docker_ok(&[
        "exec",
        "-t",
        "c1",
        "sh",
        "-c",
        "tty; echo $TERM; echo e >&2",
    ]);
    assert_eq!(out, "/dev/pts/0\r\nxterm\r\ne\r\n");

    // `-d`: the CLI returns at once; ExecIDs lists the exec while it runs; inspect shows
    // how it ended.
    let started = Instant::now();
    d.docker_ok(&[
        "exec",
        "-d",
        "c1",
        "sh",
        "-c",
        "sleep 1; touch /tmp/done; exit 3",
    ]);
    assert!(started.elapsed() < Duration::from_millis(900));
    let ids = exec_ids(&env, "c1");
    let ids = ids.as_array().expect("ExecIDs while the exec runs");
    assert_eq!(ids.len(), 1);
    let exec = ids[0].as_str().expect("id").to_owned();
    let v = exec_json(&env, &exec);
    assert_eq!(v["Running"], true);
    assert_eq!(v["ExitCode"], Value::Null);
    assert!(v["Pid"].as_i64().expect("Pid") > 0);
    assert_eq!(v["ProcessConfig"]["entrypoint"], "sh");
    eventually(Duration::from_secs(5), "the detached exec ends", || {
        exec_json(&env, &exec)["Running"] == false
    });
    let v = exec_json(&env, &exec);
    assert_eq!(v["ExitCode"], 3);
    assert_eq!(v["CanRemove"], false);
    assert_eq!(exec_ids(&env, "c1"), Value::Null);
    assert_eq!(
        d.docker_ok(&["exec", "c1", "ls", "/tmp/done"]),
        "/tmp/done\n"
    );

    // A tty's size: ConsoleSize at start, then `/exec/{id}/resize`.
    let tty_exec = |cmd: &str| {
        let body = serde_json::json!({"Tty": true, "Cmd": ["sh", "-c", cmd]});
        let r = env.request("POST", "/containers/c1/exec", Some(&body));
        assert_eq!(r.status, 201, "{}", r.text());
        r.json().expect("json")["Id"]
            .as_str()
            .expect("Id")
            .to_owned()
    };
    let sized = tty_exec("stty size > /tmp/size1");
    let body = serde_json::json!({"Detach": true, "Tty": true, "ConsoleSize": [40, 120]});
    let r = env.request("POST", &format!("/exec/{sized}/start"), Some(&body));
    assert_eq!(r.status, 200, "{}", r.text());
    let resized = tty_exec("sleep 0.5; stty size > /tmp/size2");
    let r = env.request(
        "POST",
        &format!("/exec/{resized}/start"),
        Some(&serde_json::json!({"Detach": true, "Tty": true})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = env.request("POST", &format!("/exec/{resized}/resize?h=30&w=100"), None);
    assert_eq!(r.status, 200, "{}", r.text());
    eventually(Duration::from_secs(5), "the tty execs end", || {
        exec_json(&env, &resized)["Running"] == false && exec_json(&env, &sized)["Running"] == false
    });
    assert_eq!(
        d.docker_ok(&["exec", "c1", "cat", "/tmp/size1"]),
        "40 120\n"
    );
    assert_eq!(
        d.docker_ok(&["exec", "c1", "cat", "/tmp/size2"]),
        "30 100\n"
    );

    // Starting an exec twice: dockerd's 409.
    let r = env.request(
        "POST",
        &format!("/exec/{exec}/start"),
        Some(&serde_json::json!({"Detach": true})),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(
        r.text(),
        format!("{{\"message\":\"exec command {exec} has already run\"}}")
    );
    let r = env.request("GET", "/exec/nope/json", None);
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "{\"message\":\"No such exec instance: nope\"}");

    // Removing the container forgets its execs.
    d.docker_ok(&["rm", "-f", "c1"]);
    let r = env.request("GET", &format!("/exec/{exec}/json"), None);
    assert_eq!(r.status, 404, "{}", r.text());
}

#[test]
#[ignore = "privileged"]
fn exec_survives_a_daemon_sigkill() {
    let mut env = Env::new("execk");
    env.d
        .docker_ok(&["run", "-d", "--name", "c1", "busybox", "sleep", "300"]);
    env.d.docker_ok(&[
        "exec",
        "-d",
        "c1",
        "sh",
        "-c",
        "while true; do echo x >> /tmp/ticks; sleep 0.1; done",
    ]);
    let exec = exec_ids(&env, "c1")[0]
        .as_str()
        .expect("exec id")
        .to_owned();
    let pid = exec_json(&env, &exec)["Pid"].as_i64().expect("Pid");
    env.kill_and_restart();

    // The process was never the daemon's child: it still runs, and is found again.
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the exec's process died with the daemon"
    );
    let ticks = |env: &Env| -> usize {
        env.d
            .docker_ok(&["exec", "c1", "cat", "/tmp/ticks"])
            .lines()
            .count()
    };
    let before = ticks(&env);
    std::thread::sleep(Duration::from_millis(500));
    assert!(ticks(&env) > before, "the exec stopped writing");
    let v = exec_json(&env, &exec);
    assert_eq!(v["Running"], true, "{v}");
    assert_eq!(v["Pid"], pid);
    assert_eq!(exec_ids(&env, "c1"), serde_json::json!([exec]));

    // Its end is still seen: the container stops, the exec ends with it.
    env.d.docker_ok(&["stop", "-t", "1", "c1"]);
    eventually(Duration::from_secs(5), "the re-adopted exec ends", || {
        exec_json(&env, &exec)["Running"] == false
    });
    assert_eq!(exec_json(&env, &exec)["ExitCode"], 137);
}

//! Execs through docker-py 7.2 (`Container.exec_run`, as compose's `exec` and test suites use
//! it), and `attach(stream=False, logs=True)`.

use crate::containers::Env;

/// `exec_run`: exit code and output, demultiplexed streams, a streamed output, environment,
/// working directory, user, tty; `exec_inspect` after a detached one.
#[test]
#[ignore = "privileged"]
fn docker_py_exec_run() {
    let env = Env::new("dpyexec", &[]);
    let out = env.d.docker_py_ok(
        r#"
import time
import docker
c = docker.from_env()
ctr = c.containers.run("busybox", ["sleep", "300"], detach=True, name="pyx",
                       environment={"A": "1"}, working_dir="/tmp")

r = ctr.exec_run(["sh", "-c", "echo out; sleep 0.1; echo err >&2; exit 3"])
assert r.exit_code == 3, r
assert r.output == b"out\nerr\n", r.output

r = ctr.exec_run(["sh", "-c", "echo out; echo err >&2"], demux=True)
assert r.exit_code == 0, r
assert r.output == (b"out\n", b"err\n"), r.output

r = ctr.exec_run(["sh", "-c", "echo a; sleep 0.2; echo b"], stream=True)
assert r.exit_code is None
assert b"".join(r.output) == b"a\nb\n"

r = ctr.exec_run(["sh", "-c", "echo $A $B; pwd"], environment={"B": "2"})
assert r.output == b"1 2\n/tmp\n", r.output
r = ctr.exec_run("pwd", workdir="/etc")
assert r.output == b"/etc\n", r.output
r = ctr.exec_run("id -u", user="nobody")
assert r.output == b"65534\n", r.output
r = ctr.exec_run("tty", tty=True)
assert r.output == b"/dev/pts/0\r\n", r.output

r = ctr.exec_run("nosuchcmd")
assert r.exit_code == 127, r
assert b"executable file not found" in r.output, r.output

api = c.api
e = api.exec_create(ctr.id, ["sh", "-c", "exit 5"])
assert api.exec_start(e["Id"], detach=True) == ""
for _ in range(100):
    info = api.exec_inspect(e["Id"])
    if not info["Running"]:
        break
    time.sleep(0.05)
assert info["ExitCode"] == 5, info
assert info["ContainerID"] == ctr.id, info
assert info["ProcessConfig"] == {"tty": False, "entrypoint": "sh",
                                 "arguments": ["-c", "exit 5"], "privileged": False}, info
ctr.remove(force=True)
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

/// docker-py's `test_attach_no_stream`: the log of an exited container, whole, from an attach
/// without streaming.
#[test]
#[ignore = "privileged"]
fn docker_py_attach_without_stream_replays_the_log() {
    let env = Env::new("dpyattach", &[]);
    let out = env.d.docker_py_ok(
        r#"
import docker
c = docker.from_env()
api = c.api
for i in range(10):
    ctr = api.create_container("busybox", ["echo", "hello"])
    api.start(ctr)
    api.wait(ctr)
    out = api.attach(ctr, stream=False, logs=True)
    assert out == b"hello\n", (i, out)
    api.remove_container(ctr)
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

/// docker-py's `healthcheck=` and `Container.health` (what compose's `service_healthy` waits
/// on); the probes leave no exec behind.
#[test]
#[ignore = "privileged"]
fn docker_py_health_status() {
    let env = Env::new("dpyhealth", &[]);
    let out = env.d.docker_py_ok(
        r#"
import time
import docker
c = docker.from_env()
ctr = c.containers.run("busybox", ["sleep", "300"], detach=True, name="pyh",
                       healthcheck={"test": ["CMD-SHELL", "echo alive"],
                                    "interval": 100_000_000, "retries": 1})
for _ in range(100):
    ctr.reload()
    if ctr.health == "healthy":
        break
    time.sleep(0.05)
assert ctr.health == "healthy", ctr.attrs["State"]
log = ctr.attrs["State"]["Health"]["Log"]
assert log[-1]["ExitCode"] == 0 and log[-1]["Output"] == "alive\n", log
names = [x.name for x in c.containers.list(filters={"health": "healthy"})]
assert names == ["pyh"], (names, c.api.containers(all=True))
for _ in range(100):
    ctr.reload()
    if len(ctr.attrs["State"]["Health"]["Log"]) == 5:
        break
    time.sleep(0.05)
time.sleep(0.3)
ctr.reload()
assert len(ctr.attrs["State"]["Health"]["Log"]) == 5, ctr.attrs["State"]["Health"]
# Only the probe running now, if any, is listed.
assert ctr.attrs["ExecIDs"] is None or len(ctr.attrs["ExecIDs"]) == 1, ctr.attrs["ExecIDs"]
ctr.remove(force=True)
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

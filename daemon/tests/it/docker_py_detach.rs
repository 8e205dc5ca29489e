//! The detach keys through docker-py 7.2: leaving a container's attach session or an exec's
//! session with ctrl-p ctrl-q keeps the process running and tells dockerd's `detach` and
//! `exec_detach` events; a client that merely hangs up tells neither.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn detach_keys_tell_detach_and_exec_detach() {
    let env = Env::new("dpydt", &[]);
    let out = env.d.docker_py_ok(
        r#"
import socket, time
import docker
c = docker.from_env()
api = c.api
t0 = int(time.time())
ctr = c.containers.run("busybox", ["sh"], name="dt1", tty=True, stdin_open=True, detach=True)

def leave(sock, keys):
    """Sends `keys` and reads until the daemon ends the session; False if it does not."""
    raw = sock._sock if hasattr(sock, "_sock") else sock
    raw.settimeout(10)
    raw.sendall(keys)
    try:
        while raw.recv(4096):
            pass
    except socket.timeout:
        return False
    return True

# The container: attach with stdin under its tty, type the keys.
s = api.attach_socket(ctr.id, params={"stdin": 1, "stdout": 1, "stream": 1})
assert leave(s, b"echo hi\n\x10\x11"), "the attach session did not end"
s.close()

# An exec with a tty and stdin: the same keys end the session; the process goes on.
e = api.exec_create(ctr.id, ["sh", "-c", "sleep 30"], stdin=True, tty=True)
s = api.exec_start(e["Id"], tty=True, socket=True)
assert leave(s, b"\x10\x11"), "the exec session did not end"
s.close()
time.sleep(0.5)
assert api.exec_inspect(e["Id"])["Running"], "the exec stopped when its client detached"

# A client that hangs up does not detach.
e2 = api.exec_create(ctr.id, ["sh", "-c", "sleep 30"], stdin=True, tty=True)
s = api.exec_start(e2["Id"], tty=True, socket=True)
s.close()
time.sleep(0.5)

ctr.reload()
assert ctr.status == "running", ctr.status
until = int(time.time()) + 1
time.sleep(1.1)
evs = list(c.events(decode=True, since=t0, until=until,
                    filters={"event": ["detach", "exec_detach"]}))
for ev in evs:
    a = ev["Actor"]["Attributes"]
    assert ev["Type"] == "container" and ev["Actor"]["ID"] == ctr.id, ev
    assert a["name"] == "dt1" and a["image"] == "busybox", ev
    if ev["Action"] == "exec_detach":
        assert a["execID"] == e["Id"], ev
print(" ".join(ev["Action"] for ev in evs))
ctr.remove(force=True)
"#,
    );
    assert_eq!(out, "detach exec_detach\n");
}

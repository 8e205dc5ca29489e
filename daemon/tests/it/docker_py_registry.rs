//! Pull, push, login and distribution inspect through docker-py 7.2, against a registry with
//! htpasswd auth in the test's namespace (the script talks to the daemon's socket; the daemon
//! reaches the registry).

use testkit::fixtures;
use testkit::{NetNs, Registry, Wharfd, require_privileged};

use crate::api_env::BIN;

#[test]
#[ignore = "privileged"]
fn docker_py_login_pull_push_and_registry_data() {
    require_privileged();
    let ns = NetNs::new("dpyreg").expect("netns");
    let registry = Registry::builder()
        .htpasswd()
        .start(&ns)
        .expect("the registry starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let busybox = fixtures::busybox().expect("busybox");
    let archive = dir.path().join("busybox.tar");
    busybox.write_docker_archive(&archive).expect("archive");
    registry
        .push_docker_archive(&ns, &archive, "busybox:latest")
        .expect("skopeo pushes the fixture");
    let d = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");

    let script = format!(
        r#"
import docker
addr, user, password, want_id = "{addr}", "{user}", "{password}", "{id}"
c = docker.from_env()
auth = {{"username": user, "password": password}}

# A wrong password is a 401 APIError; no credentials, a failed pull.
try:
    c.login(user, "wrong", registry=addr)
    raise SystemExit("login with a wrong password succeeded")
except docker.errors.APIError as e:
    assert e.status_code == 401, e
try:
    c.images.pull(addr + "/busybox", tag="latest")
    raise SystemExit("pull without credentials succeeded")
except docker.errors.APIError as e:
    assert "no basic auth credentials" in str(e), e

print(c.login(user, password, registry=addr)["Status"])

img = c.images.pull(addr + "/busybox", tag="latest", auth_config=auth)
assert img.id == want_id, (img.id, want_id)
assert any(d.startswith(addr + "/busybox@sha256:") for d in img.attrs["RepoDigests"]), img.attrs

# The low-level stream: dockerd's statuses, one object per line.
statuses = [m.get("status", "") for m in c.api.pull(addr + "/busybox", tag="latest",
            auth_config=auth, stream=True, decode=True)]
assert "Status: Image is up to date for " + addr + "/busybox:latest" in statuses, statuses

img.tag(addr + "/copy", tag="1")
events = list(c.images.push(addr + "/copy", tag="1", auth_config=auth, stream=True, decode=True))
assert not [e for e in events if "error" in e], events
aux = [e["aux"] for e in events if "aux" in e]
assert aux and aux[0]["Tag"] == "1" and aux[0]["Digest"].startswith("sha256:"), events

data = c.images.get_registry_data(addr + "/copy:1", auth_config=auth)
assert data.id == aux[0]["Digest"], (data.id, aux)
assert data.has_platform("linux/amd64"), data.attrs
print("ok")
"#,
        addr = registry.addr(),
        user = testkit::registry::USER,
        password = testkit::registry::PASSWORD,
        id = busybox.id(),
    );
    let out = d.docker_py_ok(&script);
    assert_eq!(out, "Login Succeeded\nok\n");
}

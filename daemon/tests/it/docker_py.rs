//! The daemon through docker-py 7.2 (the venv `cargo xtask test` makes): what Python clients
//! (and docker-compose) do, checked from the client's side.

use crate::containers::Env;

/// docker-py's everyday calls on a busybox image: `images.list`, `containers.run` with its
/// output, `containers.list(all=True)` with the run's exit, `remove`.
#[test]
#[ignore = "privileged"]
fn docker_py_runs_lists_and_removes_a_container() {
    let env = Env::new("dpyrun", &[]);
    let out = env.d.docker_py_ok(
        r#"
import docker
c = docker.from_env()
tags = [t for i in c.images.list() for t in i.tags]
assert "busybox:latest" in tags, tags
out = c.containers.run("busybox", ["echo", "hello from python"], name="py1")
print(out.decode().strip())
ctr = c.containers.get("py1")
assert ctr.status == "exited", ctr.status
assert ctr.attrs["State"]["ExitCode"] == 0
assert [x.name for x in c.containers.list(all=True)] == ["py1"]
ctr.remove()
assert c.containers.list(all=True) == []
print("ok")
"#,
    );
    assert_eq!(out, "hello from python\nok\n");
}

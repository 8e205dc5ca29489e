//! `docker cp`, `export`, `diff` and `commit` through docker-py 7.2: `put_archive`,
//! `get_archive` (with its stat), `export`, `diff` and `commit`.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn docker_py_copies_exports_diffs_and_commits() {
    let env = Env::new("dpyfiles", &[]);
    let out = env.d.docker_py_ok(
        r#"
import io, tarfile
import docker
c = docker.from_env()
ctr = c.containers.create("busybox", ["cat", "/tmp/greeting"], name="pyfiles")

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"hello from docker-py\n"
    info = tarfile.TarInfo("greeting")
    info.size = len(data)
    info.mode = 0o640
    t.addfile(info, io.BytesIO(data))
assert ctr.put_archive("/tmp", buf.getvalue()) is True

chunks, stat = ctr.get_archive("/tmp/greeting")
assert stat["name"] == "greeting", stat
assert stat["size"] == 21, stat
assert stat["mode"] == 0o640, stat
got = tarfile.open(fileobj=io.BytesIO(b"".join(chunks)))
assert got.getnames() == ["greeting"], got.getnames()
assert got.extractfile("greeting").read() == b"hello from docker-py\n"

try:
    ctr.get_archive("/nope")
    raise SystemExit("no error for a missing path")
except docker.errors.NotFound as e:
    assert "Could not find the file /nope in container" in str(e), str(e)

ctr.start()
assert ctr.wait()["StatusCode"] == 0
assert ctr.logs() == b"hello from docker-py\n"

changes = sorted((d["Kind"], d["Path"]) for d in ctr.diff())
assert changes == [(0, "/tmp"), (1, "/tmp/greeting")], changes

names = tarfile.open(fileobj=io.BytesIO(b"".join(ctr.export()))).getnames()
assert "tmp/greeting" in names and "bin/busybox" in names, names[:10]

img = ctr.commit(repository="pycommit", tag="v1", message="from python", author="py",
                 changes=['CMD ["cat", "/tmp/greeting"]'])
assert "pycommit:v1" in img.tags, img.tags
assert img.attrs["Config"]["Cmd"] == ["cat", "/tmp/greeting"], img.attrs["Config"]
assert img.attrs["Author"] == "py"
assert img.history()[0]["Comment"] == "from python", img.history()[0]
assert c.containers.run("pycommit:v1", remove=True) == b"hello from docker-py\n"
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

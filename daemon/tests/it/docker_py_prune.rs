//! `prune` and `df` through docker-py 7.2: `containers.prune`, `images.prune`,
//! `volumes.prune`, `networks.prune` and `df`, checked on the answers' fields.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn docker_py_prunes_and_reports_disk_usage() {
    let env = Env::new("dpyprune", &[]);
    let out = env.d.docker_py_ok(
        r#"
import docker
c = docker.from_env()
busybox = c.images.get("busybox")
done = c.containers.run("busybox", ["sh", "-c", "head -c 500 /dev/zero > /f"], name="gone",
                        labels={"tier": "tmp"}, detach=True)
done.wait()
up = c.containers.run("busybox", ["sleep", "100"], name="up", detach=True,
                      volumes={"used": {"bind": "/d", "mode": "rw"}})
c.volumes.create("spare")

df = c.df()
assert df["LayersSize"] == busybox.attrs["Size"], df["LayersSize"]
[img] = df["Images"]
assert img["Id"] == busybox.id and img["Containers"] == 2 and img["SharedSize"] == 0, img
sizes = {x["Names"][0]: (x["SizeRw"], x["SizeRootFs"]) for x in df["Containers"]}
assert sizes["/gone"] == (500, 500 + busybox.attrs["Size"]), sizes
vols = {v["Name"]: v["UsageData"] for v in df["Volumes"]}
assert vols == {"used": {"Size": 0, "RefCount": 1}, "spare": {"Size": 0, "RefCount": 0}}, vols
assert df["BuildCache"] is None

r = c.containers.prune(filters={"label": "tier=other"})
assert r == {"ContainersDeleted": None, "SpaceReclaimed": 0}, r
r = c.containers.prune(filters={"label": "tier=tmp"})
assert r == {"ContainersDeleted": [done.id], "SpaceReclaimed": 500}, r
r = c.images.prune(filters={"dangling": False})
assert r == {"ImagesDeleted": None, "SpaceReclaimed": 0}, r
r = c.volumes.prune()
assert r == {"VolumesDeleted": None, "SpaceReclaimed": 0}, r
r = c.volumes.prune(filters={"all": True})
assert r == {"VolumesDeleted": ["spare"], "SpaceReclaimed": 0}, r
assert c.networks.prune() == {"NetworksDeleted": None}
up.remove(force=True)
r = c.images.prune(filters={"dangling": False})
assert {"Untagged": "busybox:latest"} in r["ImagesDeleted"], r
assert {"Deleted": busybox.id} in r["ImagesDeleted"], r
assert r["SpaceReclaimed"] == busybox.attrs["Size"], r
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

//! User-defined networks through docker-py 7.2's `networks` API: create with IPAM, list,
//! get, connect with aliases, the container's view of its networks, a peer reached by alias,
//! disconnect, remove, prune.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn docker_py_drives_user_networks() {
    let env = Env::new("dpynet", &[]);
    let out = env.d.docker_py_ok(
        r#"
import docker
from docker.types import IPAMConfig, IPAMPool
c = docker.from_env()
ipam = IPAMConfig(pool_configs=[IPAMPool(subnet="10.66.0.0/24", gateway="10.66.0.1")])
front = c.networks.create("front", driver="bridge", ipam=ipam, labels={"app": "demo"})
back = c.networks.create("back", internal=True)
assert front.attrs["IPAM"]["Config"] == [{"Subnet": "10.66.0.0/24", "Gateway": "10.66.0.1"}], front.attrs
assert back.attrs["Internal"] is True
names = sorted(n.name for n in c.networks.list(filters={"type": "custom"}))
assert names == ["back", "front"], names
assert [n.name for n in c.networks.list(filters={"label": "app=demo"})] == ["front"]

web = c.containers.run("busybox", ["sleep", "100"], name="web", detach=True, network="front")
back.connect(web, aliases=["api"])
web.reload()
nets = web.attrs["NetworkSettings"]["Networks"]
assert sorted(nets) == ["back", "front"], nets
assert nets["front"]["IPAddress"].startswith("10.66.0."), nets["front"]
assert nets["back"]["Aliases"] == ["api"], nets["back"]
assert nets["back"]["NetworkID"] == back.id
front.reload()
assert list(front.attrs["Containers"]) == [web.id], front.attrs["Containers"]

try:
    front.connect(web)
    raise SystemExit("connected twice")
except docker.errors.APIError as e:
    assert e.status_code == 403, e
    assert "endpoint with name web already exists in network front" in str(e), e

client = c.containers.run("busybox", ["sleep", "100"], name="client", detach=True,
                          network="back")
code, out = client.exec_run(["ping", "-c", "1", "-W", "2", "api"])
assert code == 0, out
back.disconnect(web)
web.reload()
assert sorted(web.attrs["NetworkSettings"]["Networks"]) == ["front"]

try:
    front.remove()
    raise SystemExit("removed with endpoints")
except docker.errors.APIError as e:
    assert e.status_code == 403 and "has active endpoints" in str(e), e
for ctr in (web, client):
    ctr.remove(force=True)
assert c.networks.prune(filters={"label": "app=demo"})["NetworksDeleted"] == ["front"]
back.remove()
assert [n.name for n in c.networks.list()] == ["bridge", "host", "none"]
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

//! pause/unpause, rename, top, stats and update through docker-py 7.2, as Python clients (and
//! docker-compose) call them.

use crate::containers::Env;

/// `pause`/`unpause` (the status docker-py reads back), `rename`, `top`, `update`.
#[test]
#[ignore = "privileged"]
fn docker_py_pauses_renames_tops_and_updates() {
    let env = Env::new("dpysurf", &[]);
    let out = env.d.docker_py_ok(
        r#"
import docker
c = docker.from_env()
ctr = c.containers.run("busybox", ["sleep", "300"], name="py1", detach=True, mem_limit="64m")
ctr.pause()
ctr.reload()
assert ctr.status == "paused", ctr.status
assert ctr.attrs["State"]["Paused"] is True
try:
    ctr.pause()
    raise SystemExit("paused twice")
except docker.errors.APIError as e:
    assert e.status_code == 409, e
    assert "is already paused" in str(e), e
ctr.unpause()
ctr.reload()
assert ctr.status == "running", ctr.status

ctr.rename("py2")
ctr.reload()
assert ctr.name == "py2", ctr.name
try:
    c.containers.get("py1")
    raise SystemExit("the old name still resolves")
except docker.errors.NotFound:
    pass

top = ctr.top()
assert top["Titles"][1] == "PID", top
assert [p[-1] for p in top["Processes"]] == ["sleep 300"], top
top = ctr.top(ps_args="-o pid,comm")
assert top["Titles"] == ["PID", "COMMAND"], top

r = ctr.update(mem_limit="96m", memswap_limit="192m", cpu_shares=512, restart_policy={"Name": "always"})
assert r["Warnings"] == [], r
ctr.reload()
hc = ctr.attrs["HostConfig"]
assert (hc["Memory"], hc["MemorySwap"], hc["CpuShares"]) == (96 << 20, 192 << 20, 512), hc
assert hc["RestartPolicy"]["Name"] == "always", hc
ctr.remove(force=True)
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

/// `stats(stream=False)` (one sample with its previous one), `one_shot`, and a stream of
/// decoded samples a second apart.
#[test]
#[ignore = "privileged"]
fn docker_py_reads_stats() {
    let env = Env::new("dpystats", &[]);
    let out = env.d.docker_py_ok(
        r#"
import time
import docker
c = docker.from_env()
ctr = c.containers.run("busybox", ["sleep", "300"], name="st", detach=True, mem_limit="64m")
s = ctr.stats(stream=False)
assert s["name"] == "/st", s["name"]
assert s["id"] == ctr.id
assert s["memory_stats"]["limit"] == 64 << 20, s["memory_stats"]
assert s["memory_stats"]["usage"] > 0
assert "total_inactive_file" in s["memory_stats"]["stats"]
assert s["pids_stats"]["current"] == 1, s["pids_stats"]
assert s["cpu_stats"]["online_cpus"] >= 1
assert s["precpu_stats"]["system_cpu_usage"] > 0
assert s["cpu_stats"]["system_cpu_usage"] > s["precpu_stats"]["system_cpu_usage"]
assert "eth0" in s["networks"], s.get("networks")
one = ctr.stats(stream=False, one_shot=True)
assert one["preread"] == "0001-01-01T00:00:00Z", one["preread"]
start = time.time()
samples = []
for sample in ctr.stats(stream=True, decode=True):
    samples.append(sample)
    if len(samples) == 2:
        break
assert 0.5 < time.time() - start < 3, time.time() - start
assert samples[1]["preread"] == samples[0]["read"]
ctr.remove(force=True)
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

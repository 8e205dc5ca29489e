//! docker-py 7.2's `create_host_config` options (issue 13): what `containers.run` sends is
//! applied inside the container and shown back by inspect.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn docker_py_host_config_options_round_trip() {
    let env = Env::new("dpyopts", &[]);
    let out = env.d.docker_py_ok(
        r#"
import docker
c = docker.from_env()
c.containers.run("busybox", ["sleep", "300"], name="donor", detach=True,
                 volumes={"shared": {"bind": "/shared", "mode": "rw"}}, ipc_mode="shareable")
out = c.containers.run(
    "busybox",
    ["sh", "-c", "grep CapEff /proc/self/status; ulimit -n; cat /proc/sys/net/ipv4/ip_forward; "
                 "ls -d /shared; id -G; grep -c ' /t ' /proc/mounts; cat /proc/self/oom_score_adj"],
    remove=True,
    cap_drop=["ALL"], cap_add=["NET_ADMIN"],
    ulimits=[docker.types.Ulimit(name="nofile", soft=123, hard=456)],
    sysctls={"net.ipv4.ip_forward": "1"},
    volumes_from=["donor:ro"],
    group_add=["10"],
    tmpfs={"/t": "size=1m"},
    oom_score_adj=500,
    ipc_mode="container:donor",
    pid_mode="container:donor",
    shm_size="8m",
    security_opt=["no-new-privileges"],
    init=True,
).decode().split("\n")
assert out[0].split() == ["CapEff:", "0000000000001000"], out
assert out[1:7] == ["123", "1", "/shared", "0 10", "1", "500"], out

ctr = c.containers.create("busybox", name="shown", cap_add=["SYS_ADMIN"], privileged=False,
                          mem_limit="64m", pids_limit=50, cgroupns="private",
                          devices=["/dev/null:/dev/mynull:rw"], read_only=True,
                          dns=["10.0.0.53"], extra_hosts={"db": "10.0.0.9"})
hc = ctr.attrs["HostConfig"]
assert hc["CapAdd"] == ["SYS_ADMIN"], hc["CapAdd"]
assert (hc["Memory"], hc["PidsLimit"], hc["CgroupnsMode"]) == (64 << 20, 50, "private"), hc
assert hc["Devices"][0]["PathInContainer"] == "/dev/mynull", hc["Devices"]
assert hc["ReadonlyRootfs"] is True
assert hc["Dns"] == ["10.0.0.53"] and hc["ExtraHosts"] == ["db:10.0.0.9"], hc
ctr.remove()
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

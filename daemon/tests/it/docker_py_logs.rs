//! `logs()` through docker-py 7.2 on a rotated json-file log: the union of the files in
//! order, `tail`, and a followed stream across rotations.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn docker_py_reads_rotated_logs() {
    let env = Env::new("dpylogs", &[]);
    let out = env.d.docker_py_ok(
        r#"
import docker
from docker.types import LogConfig
c = docker.from_env()
lc = LogConfig(type=LogConfig.types.JSON, config={"max-size": "1k", "max-file": "3"})
ctr = c.containers.run("busybox", ["sh", "-c", "for i in $(seq 1 300); do echo line $i; done"],
                       log_config=lc, detach=True)
ctr.wait()
ctr.reload()
assert ctr.attrs["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1k", "max-file": "3"}}, ctr.attrs["HostConfig"]["LogConfig"]
nums = [int(l.split()[1]) for l in ctr.logs().decode().splitlines()]
assert nums[-1] == 300 and nums == list(range(nums[0], 301)) and 20 <= len(nums) < 60, nums
assert ctr.logs(tail=2) == b"line 299\nline 300\n"

follow = c.containers.run("busybox", ["sh", "-c", "sleep 1; for i in $(seq 1 80); do echo line $i; sleep 0.02; done"],
                          log_config=lc, detach=True)
got = b"".join(follow.logs(stream=True, follow=True)).decode().splitlines()
assert got == ["line %d" % i for i in range(1, 81)], got
print("ok")
"#,
    );
    assert_eq!(out, "ok\n");
}

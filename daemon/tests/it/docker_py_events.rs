//! `events(decode=True, since=, until=, filters=)` through docker-py 7.2: a live stream while
//! a container runs, then the kept events replayed between two times.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn docker_py_streams_and_replays_events() {
    let env = Env::new("dpyev", &[]);
    let out = env.d.docker_py_ok(
        r#"
import time
import docker
c = docker.from_env()
# A second after the test's `docker load`, so `since` leaves it out.
time.sleep(1.1)
t0 = int(time.time())

# Live: subscribed once the call returns, so nothing of the run is missed.
live = c.events(decode=True, filters={"container": "py1"})
c.containers.run("busybox", ["sh", "-c", "exit 4"], name="py1", labels={"app": "py"},
                 remove=True, detach=True).wait()
seen = []
for e in live:
    seen.append(e["Action"])
    if e["Action"] == "destroy":
        break
live.close()
print(" ".join(seen))

c.images.get("busybox").tag("busybox", "py")
c.images.remove("busybox:py")
time.sleep(1.1)

# Replayed: `until` in the past ends the stream after the kept events.
until = int(time.time())
dies = list(c.events(decode=True, since=t0, until=until, filters={"event": "die"}))
assert len(dies) == 1, dies
d = dies[0]
assert d["Type"] == "container" and d["status"] == "die", d
assert d["id"] == d["Actor"]["ID"] and d["from"] == "busybox", d
assert d["Actor"]["Attributes"] == {
    "app": "py", "exitCode": "4", "image": "busybox", "name": "py1"}, d
assert d["scope"] == "local" and d["time"] == d["timeNano"] // 10**9, d
images = list(c.events(decode=True, since=t0, until=until, filters={"type": ["image"]}))
print(" ".join(e["Action"] + ":" + e["Actor"]["Attributes"]["name"] for e in images))
labelled = list(c.events(decode=True, since=t0, until=until, filters={"label": ["app=py"]}))
assert {e["Type"] for e in labelled} == {"container"}, labelled
assert len(labelled) == len(seen), (labelled, seen)
nets = list(c.events(decode=True, since=t0, until=until, filters={"type": "network"}))
assert [e["Action"] for e in nets] == ["connect", "disconnect"], nets
assert "status" not in nets[0] and nets[0]["Actor"]["Attributes"]["name"] == "bridge", nets
# `until` alone replays everything kept before it: the `docker load` too.
loads = list(c.events(decode=True, until=until, filters={"event": "load"}))
image = c.images.get("busybox").id
assert [(e["id"], e["Actor"]["Attributes"]) for e in loads] == [(image, {"name": image})], loads
print("ok")
"#,
    );
    let image = env
        .d
        .docker_ok(&["image", "inspect", "-f", "{{.Id}}", "busybox"]);
    assert_eq!(
        out,
        format!(
            "create start die destroy\ntag:busybox:py untag:{}\nok\n",
            image.trim()
        )
    );
}

//! `images.build()` of docker-py 7.2: a Dockerfile as a file object (docker-py makes the
//! context), and a context directory by path with a build arg, a tag and labels.

use crate::containers::Env;

#[test]
#[ignore = "privileged"]
fn docker_py_builds_from_a_file_object_and_a_path() {
    let env = Env::new("dpybuild", &[]);
    let ctx = env.d.dir().join("pyctx");
    std::fs::create_dir_all(&ctx).expect("mkdir");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nARG WHO=nobody\nCOPY msg /msg\nRUN echo \"by $WHO\" >> /msg\nCMD [\"cat\", \"/msg\"]\n",
    )
    .expect("write");
    std::fs::write(ctx.join("msg"), "hello\n").expect("write");
    let script = format!(
        r#"
import io
import docker
c = docker.from_env()

df = io.BytesIO(b"FROM busybox\nENV GREETING=fileobj\nCMD [\"sh\", \"-c\", \"echo $GREETING\"]\n")
image, logs = c.images.build(fileobj=df, tag="pyfile:1", rm=True)
lines = [l.get("stream", "") for l in logs]
assert any(l.startswith("Step 1/3 : FROM busybox") for l in lines), lines
assert any(l.startswith("Successfully built") for l in lines), lines
assert "pyfile:1" in image.tags, image.tags
out = c.containers.run("pyfile:1", remove=True)
assert out == b"fileobj\n", out

image, logs = c.images.build(path={ctx:?}, tag="pypath", buildargs={{"WHO": "python"}},
                             labels={{"made.by": "docker-py"}})
assert image.labels.get("made.by") == "docker-py", image.labels
out = c.containers.run("pypath", remove=True)
assert out == b"hello\nby python\n", out

try:
    c.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 7\n"))
    raise SystemExit("a failing RUN built")
except docker.errors.BuildError as e:
    assert "returned a non-zero code: 7" in str(e), str(e)
print("ok")
"#,
        ctx = ctx.to_str().expect("utf-8")
    );
    let out = env.d.docker_py_ok(&script);
    assert_eq!(out.trim(), "ok");
}

//! `docker build` through the real CLI 28 without buildx (its legacy builder, which it picks by
//! itself with a deprecation notice): every instruction, `.dockerignore`, multi-stage, a
//! failing RUN, the cache, `--no-cache` and build args. The base image is busybox-static,
//! loaded as the other tests do.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::containers::Env;

/// A build context directory with `files` (path, content) in it.
pub(crate) fn context(env: &Env, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = env.d.dir().join(name);
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write");
    }
    dir
}

pub(crate) fn build(env: &Env, args: &[&str], dir: &Path) -> Output {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    all.push(dir.to_str().expect("utf-8"));
    env.docker(&all)
}

/// The path of the Dockerfile `name` in the context `dir`, for `-f`.
pub(crate) fn df(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Builds; the build must succeed. Returns stdout.
pub(crate) fn build_ok(env: &Env, args: &[&str], dir: &Path) -> String {
    let out = build(env, args, dir);
    assert!(
        out.status.success(),
        "build failed:\n{}\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr),
        env.d.log()
    );
    text(&out.stdout)
}

const EVERYTHING: &str = r#"# syntax=ignored
# escape=\
ARG BASE=busybox
FROM $BASE AS base
ARG GREETING=hi
ENV PATH=/usr/local/bin:/bin:/usr/bin FOO=bar
LABEL org.example.a="1" b=two
WORKDIR /app
COPY a.txt ./
COPY --chown=1:1 sub /app/sub/
ADD a.txt /added/
ADD arch.tar /unpacked/
COPY *.md /docs/
RUN echo "$GREETING $FOO" > /app/greet \
    && ls /app
USER 1000:1000
EXPOSE 8080/tcp 53/udp
VOLUME /data
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=5s --timeout=2s CMD true
SHELL ["/bin/sh", "-c"]
ONBUILD RUN echo onbuild
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/greet; echo; id -u; pwd; echo $FOO"]
"#;

/// A tar holding `inner.txt`.
fn small_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(6);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "inner.txt", &b"inner\n"[..])
        .expect("append");
    b.into_inner().expect("tar")
}

#[test]
#[ignore = "privileged"]
fn every_instruction_builds_and_runs() {
    let env = Env::new("bldall", &[]);
    let dir = context(
        &env,
        "ctx",
        &[
            ("Dockerfile", EVERYTHING),
            ("a.txt", "hello\n"),
            ("sub/b.txt", "world\n"),
            ("one.md", "1\n"),
            ("two.md", "2\n"),
            ("skip.txt", "ignored\n"),
            (".dockerignore", "skip.txt\n"),
        ],
    );
    std::fs::write(dir.join("arch.tar"), small_tar()).expect("tar");
    // No DOCKER_BUILDKIT and no buildx: the CLI uses the legacy builder by itself.
    let out = build(
        &env,
        &[
            "-t",
            "built:1",
            "-t",
            "built:2",
            "--build-arg",
            "GREETING=hey",
        ],
        &dir,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}\n{}", env.d.log());
    assert!(
        stderr.contains("DEPRECATED: The legacy builder is deprecated"),
        "{stderr}"
    );
    assert!(
        stdout.contains("Step 1/21 : ARG BASE=busybox\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Step 2/21 : FROM $BASE AS base\n ---> "),
        "{stdout}"
    );
    assert!(stdout.contains(" ---> Running in "), "{stdout}");
    assert!(
        stdout.contains("Removing intermediate container "),
        "{stdout}"
    );
    // RUN's output, then the tags.
    assert!(stdout.contains("a.txt\ngreet\nsub\n"), "{stdout}");
    assert!(stdout.contains("Successfully built "), "{stdout}");
    assert!(
        stdout.contains("Successfully tagged built:1\nSuccessfully tagged built:2\n"),
        "{stdout}"
    );

    // The image runs with the config the steps set.
    let run = env.ok(&["run", "--rm", "built:1"]);
    assert_eq!(run, "hey bar\n\n1000\n/app\nbar\n");
    let ls = env.ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "",
        "built:1",
        "sh",
        "-c",
        "cat /app/a.txt /added/a.txt /unpacked/inner.txt /docs/one.md /docs/two.md; \
         stat -c '%u:%g' /app/sub/b.txt /app/a.txt; ls /app",
    ]);
    assert_eq!(
        ls,
        "hello\nhello\ninner\n1\n2\n1:1\n0:0\na.txt\ngreet\nsub\n",
    );
    let fmt = |f: &str| env.ok(&["inspect", "-f", f, "built:2"]).trim().to_owned();
    assert_eq!(fmt("{{.Config.User}}"), "1000:1000");
    assert_eq!(fmt("{{.Config.WorkingDir}}"), "/app");
    assert_eq!(
        fmt("{{index .Config.Labels \"org.example.a\"}}{{.Config.Labels.b}}"),
        "1two"
    );
    assert_eq!(
        fmt("{{json .Config.ExposedPorts}}"),
        r#"{"53/udp":{},"8080/tcp":{}}"#
    );
    assert_eq!(fmt("{{json .Config.Volumes}}"), r#"{"/data":{}}"#);
    assert_eq!(fmt("{{.Config.StopSignal}}"), "SIGUSR1");
    assert_eq!(fmt("{{json .Config.OnBuild}}"), r#"["RUN echo onbuild"]"#);
    assert_eq!(
        fmt("{{json .Config.Healthcheck.Test}}"),
        r#"["CMD-SHELL","true"]"#
    );
    assert_eq!(fmt("{{json .Config.Shell}}"), r#"["/bin/sh","-c"]"#);
    assert!(fmt("{{json .Config.Env}}").contains("FOO=bar"));

    // History as dockerd writes it.
    let history = env.ok(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        "built:1",
    ]);
    for want in [
        "/bin/sh -c #(nop)  CMD [\"cat /app/greet; echo; id -u; pwd; echo $FOO\"]",
        "/bin/sh -c #(nop)  ENTRYPOINT [\"/bin/sh\" \"-c\"]",
        "/bin/sh -c #(nop)  SHELL [/bin/sh -c]",
        "/bin/sh -c #(nop)  HEALTHCHECK &{[\"CMD-SHELL\" \"true\"] \"5s\" \"2s\" \"0s\" '\\x00'}",
        "/bin/sh -c #(nop)  EXPOSE 53/udp 8080/tcp",
        "/bin/sh -c #(nop)  VOLUME [/data]",
        "|1 GREETING=hey /bin/sh -c echo \"$GREETING $FOO\" > /app/greet     && ls /app",
        "/bin/sh -c #(nop) WORKDIR /app",
        "/bin/sh -c #(nop)  LABEL org.example.a=1 b=two",
        "/bin/sh -c #(nop)  ARG GREETING=hi",
    ] {
        assert!(
            history.lines().any(|l| l == want),
            "{want:?} not in:\n{history}"
        );
    }
    assert!(
        history
            .lines()
            .any(|l| l.starts_with("/bin/sh -c #(nop) COPY --chown=1:1dir:")
                && l.ends_with(" in /app/sub/ ")),
        "{history}"
    );

    // The same build again: every step from the cache.
    let again = build_ok(
        &env,
        &["-t", "built:1", "--build-arg", "GREETING=hey"],
        &dir,
    );
    let steps = again.matches("Step ").count();
    // ARG before FROM and FROM print no "Using cache".
    assert_eq!(
        again.matches(" ---> Using cache\n").count(),
        steps - 2,
        "{again}"
    );
    assert!(!again.contains("Running in"), "{again}");

    // Touching a COPY source's content rebuilds from that step on.
    std::fs::write(dir.join("a.txt"), "changed\n").expect("write");
    let changed = build_ok(&env, &["--build-arg", "GREETING=hey"], &dir);
    let before_copy = changed.split("Step 7/21").next().expect("split");
    assert_eq!(before_copy.matches("Using cache").count(), 4, "{changed}");
    assert!(changed.contains("Running in"), "{changed}");

    // --no-cache runs every step.
    let fresh = build_ok(&env, &["--no-cache", "--build-arg", "GREETING=hey"], &dir);
    assert!(!fresh.contains("Using cache"), "{fresh}");
}

#[test]
#[ignore = "privileged"]
fn multi_stage_failures_and_build_args() {
    let env = Env::new("bldmulti", &[]);
    let dir = context(
        &env,
        "ctx",
        &[
            (
                "Dockerfile",
                "FROM busybox AS first\nARG WHO\nRUN echo \"made by $WHO\" > /made\n\
                 FROM scratch AS second\nCOPY --from=first /made /made\nCOPY --from=first /bin/busybox /bin/busybox\n\
                 FROM busybox\nCOPY --from=second /made /final\nCOPY . /ctx/\nCMD [\"cat\", \"/final\"]\n",
            ),
            ("keep.txt", "k\n"),
            ("secret.txt", "s\n"),
            (".dockerignore", "secret.txt\n"),
            (
                "Dockerfile.fail",
                "FROM busybox\nRUN echo before\nRUN exit 3\n",
            ),
            ("Dockerfile.exec", "FROM busybox\nRUN [\"false\"]\n"),
            ("Dockerfile.bad", "FROM busybox\nFROBNICATE x\n"),
            ("Dockerfile.missing", "FROM busybox\nCOPY nothere /x\n"),
            ("Dockerfile.nobase", "FROM wharf-test/not-here:1\n"),
            (
                "Dockerfile.workdir",
                "FROM busybox\nWORKDIR /made/here\nRUN pwd\n",
            ),
        ],
    );
    let out = build_ok(
        &env,
        &[
            "-t",
            "multi",
            "--build-arg",
            "WHO=me",
            "--build-arg",
            "UNUSED=1",
        ],
        &dir,
    );
    assert!(
        out.contains("[Warning] One or more build-args [UNUSED] were not consumed"),
        "{out}"
    );
    assert_eq!(env.ok(&["run", "--rm", "multi"]), "made by me\n");
    // --target stops after the named stage.
    let t = build_ok(
        &env,
        &["-t", "first", "--target", "first", "--build-arg", "WHO=x"],
        &dir,
    );
    assert!(t.contains("Step 3/3 : RUN"), "{t}");

    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.fail")], &dir.join(""));
    assert_eq!(fail.status.code(), Some(3), "{}", text(&fail.stderr));
    assert!(text(&fail.stdout).contains("before\n"));
    assert!(
        text(&fail.stderr).contains("The command '/bin/sh -c exit 3' returned a non-zero code: 3"),
        "{}",
        text(&fail.stderr)
    );
    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.exec")], &dir);
    assert!(
        text(&fail.stderr).contains("The command 'false' returned a non-zero code: 1"),
        "{}",
        text(&fail.stderr)
    );
    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.bad")], &dir);
    assert!(
        text(&fail.stderr)
            .contains("Error response from daemon: dockerfile parse error line 2: unknown instruction: FROBNICATE"),
        "{}",
        text(&fail.stderr)
    );
    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.missing")], &dir);
    assert!(
        text(&fail.stderr).contains(
            "COPY failed: file not found in build context or excluded by .dockerignore: stat nothere: file does not exist"
        ),
        "{}",
        text(&fail.stderr)
    );
    // WORKDIR makes its directory, as dockerd does.
    let out = build_ok(&env, &["-f", &df(&dir, "Dockerfile.workdir")], &dir);
    assert!(out.contains("\n/made/here\n"), "{out}");
    // A base image the store lacks is pulled: here no registry answers, and the build fails.
    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.nobase")], &dir);
    assert!(!fail.status.success());
    assert!(
        text(&fail.stdout).contains("Step 1/1 : FROM wharf-test/not-here:1\n"),
        "{}",
        text(&fail.stdout)
    );
    assert!(!text(&fail.stderr).trim().is_empty());
    // With DOCKER_BUILDKIT=0 the CLI says so and builds the same way.
    let mut cmd =
        env.d
            .docker_command(&["build", "-q", "-t", "quiet", dir.to_str().expect("utf-8")]);
    cmd.env("DOCKER_BUILDKIT", "0");
    let out = cmd.output().expect("docker");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).trim().starts_with("sha256:"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("BuildKit is currently disabled"),
        "{}",
        text(&out.stderr)
    );
    // .dockerignore: what it names never reaches the daemon.
    let ls = env.ok(&["run", "--rm", "multi", "ls", "/ctx"]);
    assert!(
        ls.contains("keep.txt") && !ls.contains("secret.txt"),
        "{ls}"
    );
}

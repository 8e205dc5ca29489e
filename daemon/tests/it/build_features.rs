//! `docker build`'s features beyond the context and the steps: `--cache-from` with an image
//! from `docker load`, `COPY --chown` by name, remote contexts, ONBUILD triggers' lines and
//! FROM pulling from a registry.

use crate::build::{build, build_ok, context, df, text};
use crate::containers::Env;

const CACHED: &str =
    "FROM busybox\nENV A=1\nRUN echo hi > /hi\nCOPY a.txt /a.txt\nCMD [\"cat\", \"/hi\"]\n";

#[test]
#[ignore = "privileged"]
fn cache_from_a_loaded_image() {
    let env = Env::new("bldcf", &[]);
    let dir = context(&env, "ctx", &[("Dockerfile", CACHED), ("a.txt", "a\n")]);
    build_ok(&env, &["-t", "cf:1"], &dir);
    let id = env.ok(&["inspect", "-f", "{{.Id}}", "cf:1"]);
    let archive = env.d.dir().join("cf.tar");
    let archive = archive.to_str().expect("utf-8");
    env.ok(&["save", "-o", archive, "cf:1"]);
    env.ok(&["rmi", "cf:1"]);
    env.ok(&["load", "-i", archive]);
    assert_eq!(env.ok(&["inspect", "-f", "{{.Id}}", "cf:1"]), id);

    // A loaded image has no parents: the local cache has nothing.
    let plain = build_ok(&env, &["-t", "plain"], &dir);
    assert!(!plain.contains("Using cache"), "{plain}");
    assert!(plain.contains("Running in"), "{plain}");

    // With it as --cache-from, every step after FROM comes from it, and the result is it.
    let out = build_ok(&env, &["--cache-from", "cf:1", "-t", "cf:2"], &dir);
    assert_eq!(out.matches(" ---> Using cache\n").count(), 4, "{out}");
    assert!(!out.contains("Running in"), "{out}");
    assert_eq!(env.ok(&["inspect", "-f", "{{.Id}}", "cf:2"]), id);
    assert_eq!(env.ok(&["run", "--rm", "cf:2"]), "hi\n");
    // A changed step and what follows it are built again.
    std::fs::write(dir.join("a.txt"), "b\n").expect("write");
    let out = build_ok(&env, &["--cache-from", "cf:1"], &dir);
    assert_eq!(out.matches(" ---> Using cache\n").count(), 2, "{out}");
    assert!(
        out.contains("Step 4/5 : COPY a.txt /a.txt\n ---> "),
        "{out}"
    );
    // A name that names nothing is skipped, as dockerd does.
    build_ok(&env, &["--cache-from", "nothing:here"], &dir);
}

#[test]
#[ignore = "privileged"]
fn copy_chown_by_name() {
    let env = Env::new("bldchown", &[]);
    let dir = context(
        &env,
        "ctx",
        &[
            (
                "Dockerfile",
                "FROM busybox\n\
                 RUN echo 'app:x:1001:1002::/home/app:/bin/sh' >> /etc/passwd \\\n\
                 && echo 'app:x:1002:' >> /etc/group && echo 'crew:x:77:' >> /etc/group\n\
                 COPY --chown=app a.txt /one\n\
                 COPY --chown=app:crew a.txt /two\n\
                 COPY --chown=5:crew a.txt /three\n\
                 COPY --chown=9:8 a.txt /four\n",
            ),
            (
                "Dockerfile.nouser",
                "FROM busybox\nCOPY --chown=nobody-here a.txt /x\n",
            ),
            (
                "Dockerfile.nogroup",
                "FROM busybox\nCOPY --chown=0:no-group a.txt /x\n",
            ),
            ("a.txt", "a\n"),
        ],
    );
    build_ok(&env, &["-t", "owned"], &dir);
    let ids = env.ok(&[
        "run", "--rm", "owned", "stat", "-c", "%u:%g", "/one", "/two", "/three", "/four",
    ]);
    assert_eq!(ids, "1001:1002\n1001:77\n5:77\n9:8\n");
    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.nouser")], &dir);
    assert!(!fail.status.success());
    assert!(
        text(&fail.stderr).contains(
            "unable to convert uid/gid chown string to host mapping: can't find uid for user nobody-here: no such user: nobody-here"
        ),
        "{}",
        text(&fail.stderr)
    );
    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.nogroup")], &dir);
    assert!(
        text(&fail.stderr).contains("can't find gid for group no-group: no such group: no-group"),
        "{}",
        text(&fail.stderr)
    );
}

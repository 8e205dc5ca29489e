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

/// Serves the files under `root` over HTTP on 127.0.0.1 inside the test's namespace (a thread
/// that entered it); returns the address. `.tar` files are `application/x-tar`, the rest
/// `application/octet-stream` (the type is then sniffed, as moby does for a Dockerfile).
fn serve(env: &Env, root: std::path::PathBuf) -> String {
    use std::io::{BufRead, Write};
    let ns_file = std::fs::File::open(env.ns().path()).expect("netns");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        nix::sched::setns(&ns_file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        tx.send(listener.local_addr().expect("addr").to_string())
            .expect("send");
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = std::io::BufReader::new(conn.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                    break;
                }
            }
            let path = line.split(' ').nth(1).unwrap_or("/");
            let path = path
                .split('?')
                .next()
                .unwrap_or("/")
                .trim_start_matches('/');
            let file = root.join(path);
            let answer = match std::fs::read(&file) {
                Ok(data) => {
                    let ct = if path.ends_with(".tar") {
                        "application/x-tar"
                    } else {
                        "application/octet-stream"
                    };
                    let mut a = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        data.len()
                    )
                    .into_bytes();
                    a.extend(data);
                    a
                }
                Err(_) => b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot here\r\n"
                    .to_vec(),
            };
            let _ = conn.write_all(&answer);
        }
    });
    rx.recv().expect("address")
}

/// `git` with a fixed identity in `dir`; must succeed.
fn git(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

/// POSTs `/build` with `query`, no body; the stream's text.
fn build_remote(env: &Env, query: &str) -> (u16, String) {
    let r = env
        .d
        .request("POST", &format!("/build?{query}"), None)
        .expect("request");
    (r.status, r.text())
}

#[test]
#[ignore = "privileged"]
fn remote_contexts() {
    let env = Env::new("bldremote", &[]);
    let files = context(
        &env,
        "served",
        &[
            (
                "Dockerfile",
                "FROM busybox\nRUN echo from-a-remote-dockerfile\n",
            ),
            (
                "src/Dockerfile",
                "FROM busybox\nCOPY f /f\nCMD [\"cat\", \"/f\"]\n",
            ),
            ("src/f", "in the tar\n"),
            (
                "src/sub/Dockerfile",
                "FROM busybox\nCOPY g /g\nCMD [\"cat\", \"/g\"]\n",
            ),
            ("src/sub/g", "in the subdir\n"),
        ],
    );
    // A tar context.
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all(".", files.join("src")).expect("tar");
    std::fs::write(files.join("ctx.tar"), b.into_inner().expect("tar")).expect("write");
    // A git repository over dumb HTTP: master, and a branch `v1` with another file.
    let work = files.join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    git(&work, &["init", "-q", "-b", "master"]);
    std::fs::write(
        work.join("Dockerfile"),
        "FROM busybox\nCOPY f /f\nCMD [\"cat\", \"/f\"]\n",
    )
    .expect("write");
    std::fs::write(work.join("f"), "from git master\n").expect("write");
    std::fs::create_dir_all(work.join("sub")).expect("mkdir");
    std::fs::write(
        work.join("sub/Dockerfile"),
        "FROM busybox\nCOPY g /g\nCMD [\"cat\", \"/g\"]\n",
    )
    .expect("write");
    std::fs::write(work.join("sub/g"), "from git v1 sub\n").expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "one"]);
    git(&work, &["branch", "v1"]);
    git(&files, &["clone", "-q", "--bare", "work", "repo.git"]);
    git(&files.join("repo.git"), &["update-server-info"]);
    let addr = serve(&env, files.clone());

    let (status, out) = build_remote(&env, &format!("remote=http://{addr}/ctx.tar&t=fromtar"));
    assert_eq!(status, 200, "{out}");
    assert!(out.contains("Successfully tagged fromtar:latest"), "{out}");
    // dockerd's progress of the download comes first.
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(r#"{"status":"Downloading context","progressDetail":{"current":"#)
            && first.contains(&format!(r#""id":"http://{addr}/ctx.tar""#)),
        "{out}"
    );
    assert_eq!(env.ok(&["run", "--rm", "fromtar"]), "in the tar\n");

    let (_, out) = build_remote(&env, &format!("remote=http://{addr}/Dockerfile&t=fromfile"));
    assert!(out.contains("from-a-remote-dockerfile"), "{out}");
    assert!(out.contains("Successfully tagged fromfile:latest"), "{out}");

    let (_, out) = build_remote(&env, &format!("remote=http://{addr}/repo.git&t=fromgit"));
    assert!(out.contains("Successfully tagged fromgit:latest"), "{out}");
    assert_eq!(env.ok(&["run", "--rm", "fromgit"]), "from git master\n");
    let (_, out) = build_remote(
        &env,
        &format!("remote=http://{addr}/repo.git%23v1:sub&t=fromsub"),
    );
    assert!(out.contains("Successfully tagged fromsub:latest"), "{out}");
    assert_eq!(env.ok(&["run", "--rm", "fromsub"]), "from git v1 sub\n");

    // A ref that would be an option of git's is a ref (it does not exist).
    let (status, out) = build_remote(
        &env,
        &format!("remote=http://{addr}/repo.git%23--upload-pack=touch%20/tmp/bf-pwned"),
    );
    assert_eq!(status, 500, "{out}");
    assert!(out.contains("error fetching: "), "{out}");
    assert!(!std::path::Path::new("/tmp/bf-pwned").exists());
    let (status, out) = build_remote(&env, &format!("remote=http://{addr}/nothing.tar"));
    assert_eq!(status, 404, "{out}");
    assert!(
        out.contains(&format!(
            "error downloading remote context http://{addr}/nothing.tar: failed to GET http://{addr}/nothing.tar with status 404 Not Found: not here"
        )),
        "{out}"
    );
    let (status, out) = build_remote(&env, "remote=ftp%3A%2F%2Fx");
    assert_eq!(status, 400, "{out}");
    assert!(
        out.contains("remoteURL (ftp://x) could not be recognized as URL"),
        "{out}"
    );

    // `docker build - < Dockerfile`: the CLI sends the Dockerfile in a tar of its own.
    let mut cmd = env.d.docker_command(&["build", "-t", "stdin", "-"]);
    cmd.stdin(std::fs::File::open(files.join("Dockerfile")).expect("open"));
    let out = cmd.output().expect("docker");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("from-a-remote-dockerfile"));
}

#[test]
#[ignore = "privileged"]
fn onbuild_triggers_lines() {
    let env = Env::new("bldonb", &[]);
    let dir = context(
        &env,
        "ctx",
        &[
            (
                "Dockerfile.base",
                "FROM busybox\nONBUILD RUN echo triggered\nONBUILD ENV X=1\n",
            ),
            ("Dockerfile", "FROM onb-base\nRUN echo \"x is $X\"\n"),
            ("Dockerfile.one", "FROM onb-one\nCMD [\"true\"]\n"),
            ("Dockerfile.onebase", "FROM busybox\nONBUILD LABEL a=b\n"),
        ],
    );
    build_ok(
        &env,
        &["-t", "onb-base", "-f", &df(&dir, "Dockerfile.base")],
        &dir,
    );
    let out = build_ok(&env, &["-t", "onb-child"], &dir);
    let from = out
        .split("Step 1/2 : FROM onb-base\n")
        .nth(1)
        .and_then(|s| s.split("Step 2/2").next())
        .expect("the FROM step's lines");
    assert!(
        from.starts_with("# Executing 2 build triggers\n ---> Running in "),
        "{out}"
    );
    assert!(from.contains("\ntriggered\n"), "{out}");
    // One ` ---> ID` for the FROM, after the triggers; none for each trigger.
    let ids: Vec<&str> = from
        .lines()
        .filter(|l| l.starts_with(" ---> ") && !l.contains("Running in"))
        .collect();
    assert_eq!(ids.len(), 1, "{out}");
    assert!(from.ends_with(&format!("{}\n", ids[0])), "{out}");
    assert!(out.contains("x is 1\n"), "{out}");
    // Cached again: the triggers' steps say so, the FROM still ends with its ID.
    let again = build_ok(&env, &[], &dir);
    assert!(
        again
            .contains("# Executing 2 build triggers\n ---> Using cache\n ---> Using cache\n ---> "),
        "{again}"
    );
    // One trigger: "trigger", singular; the triggers are not inherited.
    build_ok(
        &env,
        &["-t", "onb-one", "-f", &df(&dir, "Dockerfile.onebase")],
        &dir,
    );
    let one = build_ok(&env, &["-f", &df(&dir, "Dockerfile.one")], &dir);
    assert!(
        one.contains("Step 1/2 : FROM onb-one\n# Executing 1 build trigger\n"),
        "{one}"
    );
    assert_eq!(
        env.ok(&["inspect", "-f", "{{json .Config.OnBuild}}", "onb-child"])
            .trim(),
        "null"
    );
}

#[test]
#[ignore = "privileged"]
fn from_pulls_with_the_clis_credentials() {
    use testkit::{NetNs, Registry, Wharfd, fixtures, require_privileged};
    require_privileged();
    let ns = NetNs::new("bldpull").expect("netns");
    let registry = Registry::builder()
        .htpasswd()
        .start(&ns)
        .expect("the registry starts");
    let archives = tempfile::tempdir().expect("tempdir");
    let archive = archives.path().join("busybox.tar");
    fixtures::busybox()
        .expect("busybox")
        .write_docker_archive(&archive)
        .expect("archive");
    registry
        .push_docker_archive(&ns, &archive, "busybox:latest")
        .expect("skopeo pushes");
    let d = Wharfd::builder(crate::api_env::BIN)
        .start(&ns)
        .expect("wharfd starts");
    let addr = registry.addr().to_owned();
    let dir = d.dir().join("ctx");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {addr}/busybox:latest\nRUN echo pulled-and-ran\n"),
    )
    .expect("write");
    std::fs::write(
        dir.join("Dockerfile.missing"),
        format!("FROM {addr}/nothing:1\n"),
    )
    .expect("write");
    let ctx = dir.to_str().expect("utf-8");
    let build = |args: &[&str]| {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        all.push(ctx);
        d.docker(&all).expect("docker runs")
    };

    // No credentials: the registry refuses, in the stream after the step's line.
    let out = build(&[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains(&format!("Step 1/2 : FROM {addr}/busybox:latest\n")),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("no basic auth credentials"),
        "{}",
        text(&out.stderr)
    );
    // After `docker login` the CLI sends them in X-Registry-Config: FROM pulls, with the pull's
    // lines in the build's output.
    d.docker_ok(&[
        "login",
        &addr,
        "-u",
        testkit::registry::USER,
        "-p",
        testkit::registry::PASSWORD,
    ]);
    let out = build(&["-t", "pulled"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("latest: Pulling from busybox\n"),
        "{stdout}"
    );
    assert!(stdout.contains("Pull complete"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "Status: Downloaded newer image for {addr}/busybox:latest"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("pulled-and-ran\n"), "{stdout}");
    // Present now: no pull, unless --pull asks for one.
    let out = build(&[]);
    assert!(
        !text(&out.stdout).contains("Pulling from"),
        "{}",
        text(&out.stdout)
    );
    let out = build(&["--pull"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("latest: Pulling from busybox\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "Status: Image is up to date for {addr}/busybox:latest"
        )),
        "{stdout}"
    );
    // An image the registry lacks fails the step in-band.
    let out = build(&[
        "-f",
        dir.join("Dockerfile.missing").to_str().expect("utf-8"),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains(&format!("Step 1/1 : FROM {addr}/nothing:1\n")),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("not found"),
        "{}",
        text(&out.stderr)
    );
    drop(d);
    drop(registry);
}

#[test]
#[ignore = "privileged"]
fn docker_py_builds_a_remote_context() {
    let env = Env::new("bldremotepy", &[]);
    let files = context(
        &env,
        "served",
        &[(
            "Dockerfile",
            "FROM busybox\nCMD [\"echo\", \"from a URL\"]\n",
        )],
    );
    let addr = serve(&env, files);
    // docker-py sends a URL path as `remote=`, with no body.
    let script = format!(
        r#"
import docker
c = docker.from_env()
image, logs = c.images.build(path="http://{addr}/Dockerfile", tag="pyremote")
assert "pyremote:latest" in image.tags, image.tags
print(c.containers.run("pyremote", remove=True).decode(), end="")
try:
    c.images.build(path="http://{addr}/missing")
    raise SystemExit("a missing remote context built")
except docker.errors.APIError as e:
    assert "failed to GET http://{addr}/missing with status 404 Not Found" in str(e), str(e)
"#
    );
    assert_eq!(env.d.docker_py_ok(&script), "from a URL\n");
}

#[test]
#[ignore = "privileged"]
fn add_downloads_urls() {
    let env = Env::new("bldaddurl", &[]);
    let files = context(&env, "served", &[("payload.txt", "downloaded\n")]);
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all(".", &files).expect("tar");
    std::fs::write(files.join("arch.tar"), b.into_inner().expect("tar")).expect("write");
    let addr = serve(&env, files);
    let dir = context(
        &env,
        "ctx",
        &[
            (
                "Dockerfile",
                &format!(
                    "FROM busybox\nADD http://{addr}/payload.txt /dl/\nADD http://{addr}/arch.tar /tars/\n\
                     ADD http://{addr}/payload.txt?v=1 /named\n"
                ),
            ),
            (
                "Dockerfile.copy",
                &format!("FROM busybox\nCOPY http://{addr}/payload.txt /x\n"),
            ),
            (
                "Dockerfile.missing",
                &format!("FROM busybox\nADD http://{addr}/nothing /x\n"),
            ),
        ],
    );
    build_ok(&env, &["-t", "added"], &dir);
    let seen = env.ok(&[
        "run",
        "--rm",
        "added",
        "sh",
        "-c",
        "cat /dl/payload.txt /named; stat -c %a /dl/payload.txt; ls /tars",
    ]);
    // A tar from a URL is not extracted, even by ADD.
    assert_eq!(seen, "downloaded\ndownloaded\n600\narch.tar\n");
    let again = build_ok(&env, &[], &dir);
    assert_eq!(again.matches(" ---> Using cache\n").count(), 3, "{again}");
    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.copy")], &dir);
    assert!(
        text(&fail.stderr).contains("source can't be a URL for COPY"),
        "{}",
        text(&fail.stderr)
    );
    let fail = build(&env, &["-f", &df(&dir, "Dockerfile.missing")], &dir);
    assert!(
        text(&fail.stderr).contains(&format!(
            "failed to GET http://{addr}/nothing with status 404 Not Found: not here"
        )),
        "{}",
        text(&fail.stderr)
    );
}

#[test]
#[ignore = "privileged"]
fn dockerignore_takes_the_build_files_out_and_dockerfile_may_be_lowercase() {
    let env = Env::new("bldign", &[]);
    // The CLI sends the Dockerfile and .dockerignore whatever .dockerignore says; the daemon
    // takes them out when it excludes them (moby's removeDockerfile).
    let dir = context(
        &env,
        "ctx",
        &[
            ("Dockerfile", "FROM busybox\nCOPY . /app\nRUN ls -a /app\n"),
            (".dockerignore", "Dockerfile\n.dockerignore\nskip.txt\n"),
            ("keep.txt", "k\n"),
            ("skip.txt", "s\n"),
        ],
    );
    let out = build_ok(&env, &["-t", "ign"], &dir);
    assert_eq!(
        env.ok(&["run", "--rm", "ign", "ls", "-a", "/app"]),
        ".\n..\nkeep.txt\n",
        "{out}"
    );
    // Not excluded: both stay.
    std::fs::write(dir.join(".dockerignore"), "skip.txt\n").expect("write");
    build_ok(&env, &["-t", "ign2"], &dir);
    assert_eq!(
        env.ok(&["run", "--rm", "ign2", "ls", "-a", "/app"]),
        ".\n..\n.dockerignore\nDockerfile\nkeep.txt\n"
    );
    // An API client that names no Dockerfile gets `dockerfile` when `Dockerfile` is missing.
    let lower = context(
        &env,
        "lower",
        &[(
            "dockerfile",
            "FROM busybox\nRUN echo lowercase-dockerfile\n",
        )],
    );
    let out = env.d.docker_py_ok(&format!(
        r#"
import docker
c = docker.from_env()
img, logs = c.images.build(path={path:?}, tag="lower")
print("".join(l.get("stream", "") for l in logs))
"#,
        path = lower.to_str().expect("utf-8")
    ));
    assert!(out.contains("lowercase-dockerfile"), "{out}");
}

//! `docker cp`, `docker export`, `docker diff` and `docker commit` through the real CLI, on
//! running and stopped containers, with overlay2 and vfs; hostile paths and tars stay inside
//! the container.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use crate::containers::Env;

/// Runs `docker args` with `input` on its stdin; (success, stdout, stderr).
fn docker_stdin(env: &Env, args: &[&str], input: &[u8]) -> (bool, Vec<u8>, String) {
    let mut child = env
        .d
        .docker_command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    let out = child.wait_with_output().expect("docker ends");
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the CLI, which must fail; its stderr.
fn fails(env: &Env, args: &[&str]) -> String {
    let out = env.d.docker(args).expect("docker runs");
    assert!(!out.status.success(), "docker {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The names in a tar.
fn tar_names(bytes: &[u8]) -> Vec<String> {
    let mut a = tar::Archive::new(bytes);
    a.entries()
        .expect("a tar")
        .map(|e| {
            let e = e.expect("an entry");
            String::from_utf8_lossy(&e.path_bytes()).into_owned()
        })
        .collect()
}

/// A tar header with `name` and `link` written as they are (the `tar` crate refuses `..`).
fn raw_entry(name: &str, kind: tar::EntryType, link: &str, data: &[u8]) -> (tar::Header, Vec<u8>) {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_entry_type(kind);
    h.set_mtime(1_700_000_000);
    h.set_cksum();
    (h, data.to_vec())
}

fn tar_of(entries: &[(tar::Header, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (h, data) in entries {
        b.append(h, data.as_slice()).expect("append");
    }
    b.into_inner().expect("tar")
}

/// Every path under `dir` whose name contains `marker`.
fn find(dir: &Path, marker: &str, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().contains(marker) {
            found.push(p.display().to_string());
        }
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            find(&p, marker, found);
        }
    }
}

fn cp_round_trips(driver: &str) {
    let env = Env::new(&format!("cp{driver}"), &["--storage-driver", driver]);
    let d = &env.d;
    let local = d.dir().join("local");
    std::fs::create_dir_all(local.join("sub")).expect("mkdir");
    std::fs::write(local.join("sub/hello.txt"), "hello from the host\n").expect("write");

    // Stopped (never started): copy in, then the container sees it.
    d.docker_ok(&[
        "create",
        "--name",
        "st",
        "busybox",
        "cat",
        "/tmp/sub/hello.txt",
    ]);
    let src = format!("{}/sub", local.display());
    d.docker_ok(&["cp", &src, "st:/tmp/"]);
    assert_eq!(d.docker_ok(&["start", "-a", "st"]), "hello from the host\n");

    // Running: copy a file in and a directory out.
    d.docker_ok(&["run", "-d", "--name", "run", "busybox", "sleep", "600"]);
    d.docker_ok(&[
        "cp",
        &format!("{}/sub/hello.txt", local.display()),
        "run:/etc/",
    ]);
    let out = d.dir().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    d.docker_ok(&["cp", "run:/etc", out.to_str().expect("utf-8")]);
    assert_eq!(
        std::fs::read_to_string(out.join("etc/hello.txt")).expect("copied out"),
        "hello from the host\n"
    );
    assert!(out.join("etc/passwd").is_file());

    // `/.` copies the contents, not the directory.
    let dot = d.dir().join("dot");
    d.docker_ok(&["cp", "st:/tmp/sub/.", dot.to_str().expect("utf-8")]);
    assert!(dot.join("hello.txt").is_file(), "contents of /tmp/sub/.");

    // To a new name: the CLI extracts into the parent, renamed.
    d.docker_ok(&[
        "cp",
        &format!("{}/sub/hello.txt", local.display()),
        "run:/tmp/renamed.txt",
    ]);
    let (ok, tar, err) = docker_stdin(&env, &["cp", "run:/tmp/renamed.txt", "-"], b"");
    assert!(ok, "{err}");
    assert_eq!(tar_names(&tar), ["renamed.txt"]);

    // A tar to stdout: one file, named after it.
    let (ok, tar, err) = docker_stdin(&env, &["cp", "run:/etc/passwd", "-"], b"");
    assert!(ok, "{err}");
    assert_eq!(tar_names(&tar), ["passwd"]);

    // Errors in dockerd's words.
    let err = fails(&env, &["cp", "run:/nope", out.to_str().expect("utf-8")]);
    assert!(
        err.contains("Could not find the file /nope in container run"),
        "{err}"
    );
    let err = fails(
        &env,
        &["cp", "run:/etc/passwd/x", out.to_str().expect("utf-8")],
    );
    assert!(err.contains("not a directory"), "{err}");

    // Stopped again (overlay2: not mounted): copy out of it.
    d.docker_ok(&["rm", "-f", "run"]);
    let (ok, tar, err) = docker_stdin(&env, &["cp", "st:/tmp/sub", "-"], b"");
    assert!(ok, "{err}");
    assert_eq!(tar_names(&tar), ["sub/", "sub/hello.txt"]);
    // Nothing stays mounted in the daemon's namespace.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let root = d.dir().display().to_string();
    let left: Vec<&str> = mounts
        .lines()
        .filter(|l| l.contains(&root) && l.contains("/merged"))
        .collect();
    assert!(left.is_empty(), "a container root stayed mounted: {left:?}");
}

#[test]
#[ignore = "privileged"]
fn cp_in_and_out_overlay2() {
    cp_round_trips("overlay2");
}

#[test]
#[ignore = "privileged"]
fn cp_in_and_out_vfs() {
    cp_round_trips("vfs");
}

#[test]
#[ignore = "privileged"]
fn cp_honours_volumes_and_read_only_roots() {
    let env = Env::new("cpvol", &[]);
    let d = &env.d;
    let host = d.dir().join("bound");
    std::fs::create_dir_all(&host).expect("mkdir");
    std::fs::write(host.join("in-bind"), "bound\n").expect("write");
    let bind = format!("{}:/data", host.display());
    let ro = format!("{}:/ro:ro", host.display());
    d.docker_ok(&[
        "run", "--name", "vc", "-v", &bind, "-v", &ro, "busybox", "true",
    ]);
    // Stopped: the bind is mounted for the copy, as dockerd does.
    let (ok, tar, err) = docker_stdin(&env, &["cp", "vc:/data/in-bind", "-"], b"");
    assert!(ok, "{err}");
    assert_eq!(tar_names(&tar), ["in-bind"]);
    let file = d.dir().join("f.txt");
    std::fs::write(&file, "to the volume\n").expect("write");
    d.docker_ok(&["cp", file.to_str().expect("utf-8"), "vc:/data/"]);
    assert_eq!(
        std::fs::read_to_string(host.join("f.txt")).expect("written through the bind"),
        "to the volume\n"
    );
    let err = fails(&env, &["cp", file.to_str().expect("utf-8"), "vc:/ro/"]);
    assert!(err.contains("mounted volume is marked read-only"), "{err}");
    // Never started: the mount point is made, as dockerd does, and the bind is there.
    d.docker_ok(&["create", "--name", "fresh", "-v", &bind, "busybox"]);
    let (ok, tar, err) = docker_stdin(&env, &["cp", "fresh:/data/in-bind", "-"], b"");
    assert!(ok, "{err}");
    assert_eq!(tar_names(&tar), ["in-bind"]);
    d.docker_ok(&["create", "--name", "ro", "--read-only", "busybox"]);
    let err = fails(&env, &["cp", file.to_str().expect("utf-8"), "ro:/tmp/"]);
    assert!(
        err.contains("container rootfs is marked read-only"),
        "{err}"
    );
}

#[test]
#[ignore = "privileged"]
fn hostile_tars_and_paths_stay_inside_the_container() {
    let env = Env::new("cphostile", &[]);
    let d = &env.d;
    let marker = format!("wharf-escape-{}", std::process::id());
    d.docker_ok(&["run", "-d", "--name", "hc", "busybox", "sleep", "600"]);
    let put = |tar: &[u8]| {
        d.request("PUT", "/containers/hc/archive?path=/tmp", Some(tar))
            .expect("request")
    };
    let reg = tar::EntryType::Regular;
    // `..` out of the destination.
    let r = put(&tar_of(&[raw_entry(
        &format!("../../../../../../tmp/{marker}-dotdot"),
        reg,
        "",
        b"x",
    )]));
    assert_eq!(r.status, 500, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("is outside of"));
    // A relative link climbing out, a hard link out.
    let r = put(&tar_of(&[raw_entry(
        "up",
        tar::EntryType::Symlink,
        "../../../../..",
        b"",
    )]));
    assert!(
        String::from_utf8_lossy(&r.body).contains("invalid symlink"),
        "{r:?}"
    );
    let r = put(&tar_of(&[raw_entry(
        "hl",
        tar::EntryType::Link,
        "../../../../../etc/passwd",
        b"",
    )]));
    assert!(
        String::from_utf8_lossy(&r.body).contains("invalid hardlink"),
        "{r:?}"
    );
    // A link to `/`, then a file through it: it lands in the container's `/`, as with
    // dockerd's chroot, never the host's.
    let r = put(&tar_of(&[
        raw_entry("evil", tar::EntryType::Symlink, "/", b""),
        raw_entry(&format!("evil/tmp/{marker}-via-link"), reg, "", b"inside\n"),
        raw_entry("abs", tar::EntryType::Symlink, "/etc", b""),
        raw_entry(&format!("abs/{marker}-abs"), reg, "", b"inside\n"),
        raw_entry("pw", tar::EntryType::Symlink, "/etc/passwd", b""),
    ]));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let (ok, tar, err) = docker_stdin(&env, &["cp", &format!("hc:/etc/{marker}-abs"), "-"], b"");
    assert!(ok, "{err}");
    assert_eq!(tar_names(&tar), [format!("{marker}-abs")]);
    // `cp -L` follows a link by its stat's target (resolved inside the container) and asks
    // for that path.
    let (ok, tar, err) = docker_stdin(&env, &["cp", "-L", "hc:/tmp/pw", "-"], b"");
    assert!(ok, "{err}");
    let mut a = tar::Archive::new(tar.as_slice());
    let mut e = a
        .entries()
        .expect("tar")
        .next()
        .expect("an entry")
        .expect("entry");
    assert_eq!(
        e.path_bytes().as_ref(),
        b"passwd",
        "the CLI asked for the target"
    );
    let mut passwd = String::new();
    std::io::Read::read_to_string(&mut e, &mut passwd).expect("read");
    assert!(passwd.starts_with("root:x:0:0:"), "{passwd}");
    // Reading through a link to `/..` stays inside too.
    let r = d
        .request(
            "HEAD",
            "/containers/hc/archive?path=/tmp/evil/../../../etc/passwd",
            None,
        )
        .expect("request");
    assert_eq!(r.status, 200);
    let r = d
        .request(
            "HEAD",
            &format!("/containers/hc/archive?path=/tmp/evil/tmp/{marker}-via-link"),
            None,
        )
        .expect("request");
    assert_eq!(r.status, 200, "written in the container's /tmp");
    // Nothing outside the container's root.
    for dir in [Path::new("/tmp"), Path::new("/etc"), Path::new("/")] {
        let names: Vec<String> = std::fs::read_dir(dir)
            .expect("readdir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(&marker))
            .collect();
        assert!(
            names.is_empty(),
            "escaped into {}: {names:?}",
            dir.display()
        );
    }
    let mut found = Vec::new();
    find(d.dir(), &marker, &mut found);
    for f in &found {
        assert!(
            f.contains("/rootfs/"),
            "written outside a container root: {f}"
        );
    }
    assert!(!found.is_empty(), "the contained entries were written");
}

#[test]
#[ignore = "privileged"]
fn export_diff_and_commit() {
    for driver in ["overlay2", "vfs"] {
        let env = Env::new(&format!("edc{driver}"), &["--storage-driver", driver]);
        let d = &env.d;
        d.docker_ok(&[
            "run",
            "--name",
            "ctr",
            "busybox",
            "sh",
            "-c",
            "mkdir /newdir && echo hi > /etc/motd-new && rm /etc/group",
        ]);
        // diff: dockerd's kinds; the mount points of /etc/hosts and co. are not changes.
        let mut diff: Vec<String> = d
            .docker_ok(&["diff", "ctr"])
            .lines()
            .map(str::to_owned)
            .collect();
        diff.sort();
        assert_eq!(
            diff,
            ["A /etc/motd-new", "A /newdir", "C /etc", "D /etc/group"],
            "{driver}"
        );
        // export: the whole root, relative names.
        let (ok, tar, err) = docker_stdin(&env, &["export", "ctr"], b"");
        assert!(ok, "{err}");
        let names = tar_names(&tar);
        assert!(names.contains(&"etc/motd-new".to_owned()), "{names:?}");
        assert!(names.contains(&"bin/busybox".to_owned()), "{names:?}");
        assert!(!names.contains(&"etc/group".to_owned()), "{names:?}");
        // commit: the new image has the change, the history entry dockerd writes.
        let id = d.docker_ok(&[
            "commit",
            "-m",
            "a message",
            "-a",
            "me",
            "ctr",
            "committed:one",
        ]);
        assert!(id.trim().starts_with("sha256:"), "{id}");
        assert_eq!(
            d.docker_ok(&["run", "--rm", "committed:one", "cat", "/etc/motd-new"]),
            "hi\n"
        );
        let out = d
            .docker(&["run", "--rm", "committed:one", "cat", "/etc/group"])
            .expect("runs");
        assert!(!out.status.success(), "the deletion is committed too");
        let hist = d.docker_ok(&[
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}|{{.Comment}}",
            "committed:one",
        ]);
        assert!(
            hist.lines()
                .next()
                .is_some_and(|l| l.starts_with("sh -c mkdir /newdir") && l.ends_with("|a message")),
            "{hist}"
        );
        let author = d.docker_ok(&["image", "inspect", "-f", "{{.Author}}", "committed:one"]);
        assert_eq!(author.trim(), "me");
        // --change CMD.
        d.docker_ok(&[
            "commit",
            "--change",
            "CMD [\"cat\", \"/etc/motd-new\"]",
            "ctr",
            "committed:two",
        ]);
        assert_eq!(d.docker_ok(&["run", "--rm", "committed:two"]), "hi\n");
        let cmd = d.docker_ok(&[
            "image",
            "inspect",
            "-f",
            "{{json .Config.Cmd}}",
            "committed:two",
        ]);
        assert_eq!(cmd.trim(), r#"["cat","/etc/motd-new"]"#);
        let err = fails(&env, &["commit", "--change", "RUN true", "ctr", "x"]);
        assert!(err.contains("RUN is not a valid change command"), "{err}");
    }
}

//! Privileged image tests: the real CLI loads, lists, inspects, tags, saves, imports and
//! removes images on a `wharfd` running in a namespace of the test's.

use std::path::Path;
use std::process::Stdio;

use testkit::fixtures::{self, Image};
use testkit::{NetNs, Wharfd, require_privileged};

const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

fn docker_ok(d: &Wharfd, args: &[&str]) -> String {
    let out = d.docker(args).expect("docker runs");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn docker_err(d: &Wharfd, args: &[&str]) -> String {
    let out = d.docker(args).expect("docker runs");
    assert!(!out.status.success(), "docker {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn load(d: &Wharfd, image: &Image, dir: &Path, oci: bool) -> String {
    let path = dir.join(format!("{}-{oci}.tar", image.tags[0].replace(':', "_")));
    if oci {
        image.write_oci_layout(&path).expect("write fixture");
    } else {
        image.write_docker_archive(&path).expect("write fixture");
    }
    docker_ok(d, &["load", "-i", path.to_str().expect("utf-8")])
}

#[test]
#[ignore = "privileged"]
fn the_cli_loads_lists_inspects_tags_and_removes_images() {
    require_privileged();
    let ns = NetNs::new("img").expect("netns");
    let d = Wharfd::builder(BIN)
        .args(["--bridge=none"])
        .start(&ns)
        .expect("wharfd");
    let tmp = tempfile::tempdir().expect("tempdir");
    let busybox = fixtures::busybox().expect("busybox fixture");
    let layered = fixtures::layered().expect("layered fixture");

    assert_eq!(
        load(&d, &busybox, tmp.path(), false).trim(),
        "Loaded image: busybox:latest"
    );
    assert_eq!(
        load(&d, &layered, tmp.path(), false).trim(),
        "Loaded image: layered:1"
    );

    let list = docker_ok(
        &d,
        &[
            "images",
            "--no-trunc",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.ID}}",
        ],
    );
    let mut lines: Vec<&str> = list.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("busybox:latest {}", busybox.id()),
            format!("layered:1 {}", layered.id())
        ]
    );

    // Inspect by full ID, by a 4-character prefix (with and without sha256:), by name:tag.
    let id = layered.id();
    let hex = id.trim_start_matches("sha256:");
    for name in [
        id.as_str(),
        &hex[..4],
        &format!("sha256:{}", &hex[..4]),
        "layered:1",
    ] {
        let got = docker_ok(&d, &["image", "inspect", "--format", "{{.Id}}", name]);
        assert_eq!(got.trim(), id, "inspect {name}");
    }
    let cfg = docker_ok(
        &d,
        &[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Cmd}} {{.Config.WorkingDir}} {{len .RootFS.Layers}}",
            "layered:1",
        ],
    );
    assert_eq!(cfg.trim(), r#"["echo $GREETING from layered"] /app 4"#);
    let err = docker_err(&d, &["image", "inspect", "nosuch:1"]);
    assert!(err.contains("No such image: nosuch:1"), "{err}");

    // History: one row per history entry, newest first.
    let history = docker_ok(
        &d,
        &["history", "--format", "{{.ID}}|{{.CreatedBy}}", "layered:1"],
    );
    let rows: Vec<&str> = history.lines().collect();
    assert_eq!(rows.len(), 5, "{history}");
    assert!(rows[0].contains("WORKDIR /app"), "{history}");

    // Tag, then rmi of the tag only untags.
    docker_ok(&d, &["tag", "busybox", "example.com/team/box:2"]);
    let tags = docker_ok(
        &d,
        &[
            "image",
            "inspect",
            "--format",
            "{{json .RepoTags}}",
            "busybox",
        ],
    );
    assert_eq!(
        tags.trim(),
        r#"["busybox:latest","example.com/team/box:2"]"#
    );
    let out = docker_ok(&d, &["rmi", "example.com/team/box:2"]);
    assert_eq!(out.trim(), "Untagged: example.com/team/box:2");
    let err = docker_err(&d, &["tag", "busybox", "Bad/Name"]);
    assert!(err.contains("invalid reference format"), "{err}");

    // The layered image shares its base layer: removing busybox keeps the layer for layered.
    let out = docker_ok(&d, &["rmi", "busybox"]);
    assert!(out.contains("Untagged: busybox:latest"), "{out}");
    assert!(out.contains(&format!("Deleted: {}", busybox.id())), "{out}");
    let info = docker_ok(&d, &["info", "--format", "{{.Images}}"]);
    assert_eq!(info.trim(), "1");
    let cfg = docker_ok(
        &d,
        &["image", "inspect", "--format", "{{.Id}}", "layered:1"],
    );
    assert_eq!(cfg.trim(), layered.id());
}

#[test]
#[ignore = "privileged"]
fn save_then_load_into_a_fresh_daemon_keeps_ids_and_bytes() {
    require_privileged();
    let ns = NetNs::new("save").expect("netns");
    let tmp = tempfile::tempdir().expect("tempdir");
    let layered = fixtures::layered().expect("fixture");
    let first = Wharfd::builder(BIN)
        .args(["--bridge=none"])
        .start(&ns)
        .expect("wharfd");
    load(&first, &layered, tmp.path(), true);
    let saved = tmp.path().join("saved.tar");
    docker_ok(
        &first,
        &["save", "-o", saved.to_str().expect("utf-8"), "layered:1"],
    );

    // Every layer tar in the archive hashes to its diff ID: the bytes that came in go out.
    let mut archive = tar::Archive::new(std::fs::File::open(&saved).expect("open"));
    let mut hashes = Vec::new();
    for entry in archive.entries().expect("entries") {
        let mut e = entry.expect("entry");
        if e.path().expect("path").ends_with("layer.tar") {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).expect("read");
            hashes.push(format!("sha256:{}", fixtures::sha256_hex(&data)));
        }
    }
    hashes.sort();
    let mut want = layered.diff_ids();
    want.sort();
    want.dedup();
    assert_eq!(hashes, want);

    let second = Wharfd::builder(BIN)
        .args(["--bridge=none"])
        .start(&ns)
        .expect("second wharfd");
    let out = docker_ok(&second, &["load", "-i", saved.to_str().expect("utf-8")]);
    assert_eq!(out.trim(), "Loaded image: layered:1");
    let id = docker_ok(
        &second,
        &["image", "inspect", "--format", "{{.Id}}", "layered:1"],
    );
    assert_eq!(id.trim(), layered.id());

    // Through the API as well (GET /images/{name}/get), and an unknown name is a 404 first.
    let r = second
        .request("GET", "/images/nosuch/get", None)
        .expect("request");
    assert_eq!(r.status, 404);
}

#[test]
#[ignore = "privileged"]
fn import_with_changes_and_ambiguous_prefixes() {
    require_privileged();
    let ns = NetNs::new("imp").expect("netns");
    let d = Wharfd::builder(BIN)
        .args(["--bridge=none"])
        .start(&ns)
        .expect("wharfd");
    let tmp = tempfile::tempdir().expect("tempdir");
    let rootfs = tmp.path().join("rootfs.tar");
    std::fs::write(&rootfs, fixtures::busybox_layer().expect("layer")).expect("write");

    let out = docker_ok(
        &d,
        &[
            "import",
            "--change",
            r#"CMD ["sh"]"#,
            "--change",
            "ENV A=b",
            "--change",
            "HEALTHCHECK --interval=5s --retries=2 CMD true",
            "--change",
            "WORKDIR /srv/$A",
            "-m",
            "from a test",
            rootfs.to_str().expect("utf-8"),
            "imported:1",
        ],
    );
    let id = out.trim().to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{out}");
    let cfg = docker_ok(
        &d,
        &[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}} \
             {{json .Config.Healthcheck}} {{.Config.WorkingDir}}",
            "imported:1",
        ],
    );
    assert_eq!(
        cfg.trim(),
        r#"["sh"] ["A=b"] from a test {"Test":["CMD-SHELL","true"],"Interval":5000000000,"Retries":2} /srv/b"#
    );
    // Anything but the instructions dockerd allows is refused in its words.
    let err = docker_err(
        &d,
        &[
            "import",
            "--change",
            "RUN true",
            rootfs.to_str().expect("utf-8"),
        ],
    );
    assert!(err.contains("RUN is not a valid change command"), "{err}");

    // 17 distinct images: two of them must share a first hex digit.
    let mut ids = vec![id];
    for i in 0..16 {
        let tar = fixtures::rootfs_tar(&[("file", format!("image {i}").as_bytes())]).expect("tar");
        let mut child = d
            .docker_command(&["import", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("docker import");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &tar).expect("send");
        let out = child.wait_with_output().expect("import");
        assert!(out.status.success());
        ids.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
    let hex: Vec<&str> = ids
        .iter()
        .map(|i| i.trim_start_matches("sha256:"))
        .collect();
    let shared = (0..hex.len())
        .find_map(|a| {
            (a + 1..hex.len())
                .find(|&b| hex[a][..1] == hex[b][..1])
                .map(|_| &hex[a][..1])
        })
        .expect("pigeonhole");
    let err = docker_err(&d, &["image", "inspect", shared]);
    assert!(err.contains(shared), "{err}");
    let r = d
        .request("GET", &format!("/images/{shared}/json"), None)
        .expect("request");
    assert_eq!(r.status, 400, "{}", r.text());
    let count = docker_ok(&d, &["info", "--format", "{{.Images}}"]);
    assert_eq!(count.trim(), "17");
}

#[test]
#[ignore = "privileged"]
fn bad_input_is_refused_and_loses_nothing() {
    require_privileged();
    let ns = NetNs::new("bad").expect("netns");
    let d = Wharfd::builder(BIN)
        .args(["--bridge=none"])
        .start(&ns)
        .expect("wharfd");
    let tmp = tempfile::tempdir().expect("tempdir");
    load(
        &d,
        &fixtures::busybox().expect("fixture"),
        tmp.path(),
        false,
    );

    let junk = tmp.path().join("junk.tar");
    std::fs::write(&junk, b"this is not a tar archive at all").expect("write");
    let err = docker_err(&d, &["load", "-i", junk.to_str().expect("utf-8")]);
    assert!(!err.trim().is_empty());

    // A tar whose member escapes with `..` is refused.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    // `set_path` refuses `..`, so write the name bytes directly.
    h.as_old_mut().name[..9].copy_from_slice(b"../escape");
    h.set_cksum();
    b.append(&h, &b"bad"[..]).expect("append");
    let evil = tmp.path().join("evil.tar");
    std::fs::write(&evil, b.into_inner().expect("tar")).expect("write");
    let err = docker_err(&d, &["import", evil.to_str().expect("utf-8"), "evil:1"]);
    assert!(err.contains("escape") || err.contains("refusing"), "{err}");
    assert!(!tmp.path().parent().expect("parent").join("escape").exists());

    let r = d
        .request("POST", "/images/create?fromImage=busybox&tag=1.36", None)
        .expect("pull");
    // No network in the test's namespace: the registry cannot be reached, and the answer
    // says so (dockerd: 500, `Get "https://registry-1.docker.io/v2/": dial tcp: ...`).
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(
        r.text().contains("https://registry-1.docker.io/v2/"),
        "{}",
        r.text()
    );
    let list = docker_ok(&d, &["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert_eq!(list.trim(), "busybox:latest");
}

#[test]
#[ignore = "privileged"]
fn sigkill_during_a_load_leaves_a_consistent_store_and_the_retry_succeeds() {
    require_privileged();
    let ns = NetNs::new("crash").expect("netns");
    let tmp = tempfile::tempdir().expect("tempdir");
    let state = tmp.path().join("state");
    std::fs::create_dir(&state).expect("mkdir");

    // A ~48 MB image of incompressible content, so a load takes a while.
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let blob: Vec<u8> = (0..6 * 1024 * 1024)
        .flat_map(|_| next().to_le_bytes())
        .collect();
    let layer = fixtures::rootfs_tar(&[("big", &blob)]).expect("layer");
    let base = fixtures::busybox().expect("fixture");
    let mut big = base.clone();
    big.layers.push(layer);
    big.tags = vec!["big:1".into()];
    let config: serde_json::Value = serde_json::from_slice(&base.config).expect("config");
    let mut config = config;
    config["rootfs"]["diff_ids"] = serde_json::json!(big.diff_ids());
    big.config = serde_json::to_vec(&config).expect("json");
    let archive = big
        .write_docker_archive(&tmp.path().join("big.tar"))
        .expect("write");
    let archive = archive.to_str().expect("utf-8").to_owned();

    for round in 0..8 {
        let mut d = Wharfd::builder(BIN)
            .dir(&state)
            .args(["--bridge=none"])
            .start(&ns)
            .expect("wharfd starts after a crash");
        let listed = docker_ok(&d, &["images", "-q", "--no-trunc"]);
        // Either the image is wholly there (a load finished before the kill) or not at all.
        for id in listed.lines() {
            assert_eq!(id, big.id(), "round {round}: unexpected image");
            let layers = docker_ok(
                &d,
                &["image", "inspect", "--format", "{{len .RootFS.Layers}}", id],
            );
            assert_eq!(layers.trim(), "2");
        }
        if !listed.trim().is_empty() {
            docker_ok(&d, &["rmi", "big:1"]);
        }
        let mut loader = d
            .docker_command(&["load", "-i", &archive])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker load");
        std::thread::sleep(std::time::Duration::from_millis(next() % 400));
        d.kill().expect("SIGKILL");
        let _ = loader.wait();
    }
    // The retry after the last crash succeeds, and the saved layer is byte-exact.
    let d = Wharfd::builder(BIN)
        .dir(&state)
        .args(["--bridge=none"])
        .start(&ns)
        .expect("wharfd");
    let _ = d.docker(&["rmi", "big:1"]);
    assert_eq!(
        docker_ok(&d, &["load", "-i", &archive]).trim(),
        "Loaded image: big:1"
    );
    let id = docker_ok(&d, &["image", "inspect", "--format", "{{.Id}}", "big:1"]);
    assert_eq!(id.trim(), big.id());
}

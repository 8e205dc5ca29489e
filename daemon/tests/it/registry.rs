//! `docker pull` through the real CLI from a real registry (Debian's `docker-registry`, filled
//! with skopeo), both in the test's network namespace.

use std::process::Output;

use testkit::fixtures;
use testkit::{NetNs, Registry, Wharfd, require_privileged};

use crate::api_env::BIN;

/// A registry holding `busybox:latest` and `layered:1`, and a daemon beside it. Fields drop in
/// order: the daemon, the daemons it replaced (the first owns the state), the registry, the
/// archives, the namespace.
struct Env {
    d: Wharfd,
    retired: Vec<Wharfd>,
    registry: Registry,
    _archives: tempfile::TempDir,
    ns: NetNs,
}

impl Env {
    fn new(tag: &str) -> Env {
        require_privileged();
        let ns = NetNs::new(tag).expect("netns");
        let registry = Registry::builder().start(&ns).expect("the registry starts");
        let archives = tempfile::tempdir().expect("tempdir");
        for (image, reference) in [
            (fixtures::busybox().expect("busybox"), "busybox:latest"),
            (fixtures::layered().expect("layered"), "layered:1"),
        ] {
            push_fixture(&ns, &registry, archives.path(), &image, reference);
        }
        let d = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
        Env {
            d,
            retired: Vec::new(),
            registry,
            _archives: archives,
            ns,
        }
    }

    fn name(&self, repo: &str) -> String {
        format!("{}/{repo}", self.registry.addr())
    }

    fn docker(&self, args: &[&str]) -> Output {
        self.d.docker(args).expect("docker runs")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `docker login` to the registry at `addr` with the test credentials, then a pull and a push
/// with them (the CLI sends `X-Registry-Auth`); no credential reaches the daemon's log.
fn login_pull_push(d: &Wharfd, addr: &str) {
    let out = d.docker_ok(&[
        "login",
        addr,
        "-u",
        testkit::registry::USER,
        "-p",
        testkit::registry::PASSWORD,
    ]);
    assert!(out.contains("Login Succeeded"), "{out}");
    let image = format!("{addr}/busybox:latest");
    d.docker_ok(&["pull", &image]);
    let copy = format!("{addr}/copy:1");
    d.docker_ok(&["tag", &image, &copy]);
    let out = d.docker_ok(&["push", &copy]);
    assert!(out.contains("1: digest: sha256:"), "{out}");
    assert!(!d.log().contains(testkit::registry::PASSWORD));
}

/// Puts `image` into `registry` as `reference` with skopeo, through a docker-archive in `dir`.
fn push_fixture(
    ns: &NetNs,
    registry: &Registry,
    dir: &std::path::Path,
    image: &fixtures::Image,
    reference: &str,
) {
    let path = dir.join(format!("{}.tar", reference.replace([':', '/'], "-")));
    image.write_docker_archive(&path).expect("archive");
    registry
        .push_docker_archive(ns, &path, reference)
        .expect("skopeo pushes the fixture");
}

#[test]
#[ignore = "privileged"]
fn pull_by_tag_and_digest_as_dockerd() {
    let env = Env::new("pull");
    let busybox = env.name("busybox:latest");
    let out = env.d.docker_ok(&["pull", &busybox]);
    let lines: Vec<&str> = out.lines().collect();
    let layer = fixtures::busybox().expect("busybox");
    assert_eq!(lines[0], "latest: Pulling from busybox", "{out}");
    assert!(
        lines.iter().any(|l| l.ends_with(": Pull complete")),
        "{out}"
    );
    let digest_line = lines
        .iter()
        .find(|l| l.starts_with("Digest: sha256:"))
        .unwrap_or_else(|| panic!("no digest in {out}"));
    let digest = digest_line.trim_start_matches("Digest: ").to_owned();
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {busybox}")),
        "{out}"
    );
    assert_eq!(lines.last().copied(), Some(busybox.as_str()), "{out}");

    // The same image ID as `docker load` gives, and the repository digest recorded.
    let id = env.d.docker_ok(&["inspect", "-f", "{{.Id}}", &busybox]);
    assert_eq!(id.trim(), layer.id());
    let digests = env
        .d
        .docker_ok(&["inspect", "-f", "{{json .RepoDigests}}", &busybox]);
    assert_eq!(
        digests.trim(),
        format!("[\"{}@{digest}\"]", env.name("busybox"))
    );
    let listed = env.d.docker_ok(&[
        "images",
        "--digests",
        "--format",
        "{{.Repository}} {{.Tag}} {{.Digest}}",
    ]);
    assert!(
        listed.contains(&format!("{} latest {digest}", env.name("busybox"))),
        "{listed}"
    );

    // Again: nothing fetched.
    let out = env.d.docker_ok(&["pull", &busybox]);
    assert!(
        out.contains(&format!("Status: Image is up to date for {busybox}")),
        "{out}"
    );

    // By digest, into a fresh store: the layers busybox shares are not fetched again.
    let layered = env.name("layered:1");
    let out = env.d.docker_ok(&["pull", &layered]);
    assert!(out.contains(": Already exists"), "{out}");
    let by_digest = format!("{}@{digest}", env.name("busybox"));
    env.d.docker_ok(&["rmi", &busybox]);
    let out = env.d.docker_ok(&["pull", &by_digest]);
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {by_digest}")),
        "{out}"
    );
    let run = env.d.docker_ok(&["run", "--rm", &by_digest, "echo", "hi"]);
    assert_eq!(run, "hi\n");
}

#[test]
#[ignore = "privileged"]
fn run_pulls_a_missing_image_and_errors_read_as_dockerds() {
    let env = Env::new("pullrun");
    let out = env.docker(&["run", "--rm", &env.name("busybox"), "echo", "ran"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().last(), Some("ran"));
    assert!(
        text(&out.stderr).contains(&format!(
            "Unable to find image '{}:latest' locally",
            env.name("busybox")
        )),
        "{}",
        text(&out.stderr)
    );

    let missing = env.name("busybox:nosuchtag");
    let out = env.docker(&["pull", &missing]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!(
            "Error response from daemon: manifest for {missing} not found: manifest unknown"
        )),
        "{}",
        text(&out.stderr)
    );
    let out = env.docker(&["pull", &env.name("nosuchrepo")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Error response from daemon:"),
        "{}",
        text(&out.stderr)
    );
    // A registry nobody listens on: the error says so.
    let out = env.docker(&["pull", "127.0.0.1:5999/busybox"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("connect") || text(&out.stderr).contains("refused"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
#[ignore = "privileged"]
fn a_corrupted_layer_fails_the_pull_and_leaves_nothing() {
    let env = Env::new("pullbad");
    let layer = fixtures::layered().expect("layered");
    // Corrupt the top layer's blob in the registry's storage.
    let manifest = env
        .registry
        .inspect(&env.ns, "layered:1")
        .expect("skopeo inspect");
    let top = manifest["Layers"]
        .as_array()
        .and_then(|l| l.last())
        .and_then(|d| d.as_str())
        .expect("layers")
        .to_owned();
    let blob = env.registry.blob_data(&top);
    let mut bytes = std::fs::read(&blob).expect("blob");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&blob, bytes).expect("corrupt");

    let out = env.docker(&["pull", &env.name("layered:1")]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains(&top[7..19]) || all.contains("verification"),
        "{all}"
    );
    assert_eq!(env.d.docker_ok(&["images", "-aq"]), "", "nothing visible");
    assert!(
        env.d
            .docker(&["image", "inspect", &layer.id()])
            .expect("docker runs")
            .status
            .code()
            != Some(0)
    );
}

#[test]
#[ignore = "privileged"]
fn push_then_pull_back_the_same_image() {
    let env = Env::new("push");
    let archive = env.d.dir().join("layered.tar");
    let layered = fixtures::layered().expect("layered");
    layered.write_docker_archive(&archive).expect("archive");
    env.d
        .docker_ok(&["load", "-i", archive.to_str().expect("utf-8")]);
    let app = env.name("team/app:1");
    env.d.docker_ok(&["tag", "layered:1", &app]);
    let out = env.d.docker_ok(&["push", &app]);
    assert!(
        out.starts_with(&format!(
            "The push refers to repository [{}]",
            env.name("team/app")
        )),
        "{out}"
    );
    let pushed = out.lines().filter(|l| l.ends_with(": Pushed")).count();
    assert_eq!(pushed, layered.diff_ids().len(), "{out}");
    let last = out
        .lines()
        .find(|l| l.starts_with("1: digest: sha256:"))
        .unwrap_or_else(|| panic!("no digest line in {out}"));
    let digest = last.split_whitespace().nth(2).expect("digest").to_owned();

    // The registry holds what wharf said, as skopeo reads it.
    let seen = env
        .registry
        .inspect(&env.ns, "team/app:1")
        .expect("skopeo inspect");
    assert_eq!(seen["Digest"], digest.as_str());
    assert_eq!(
        seen["Layers"].as_array().expect("layers").len(),
        layered.diff_ids().len()
    );
    let digests = env
        .d
        .docker_ok(&["inspect", "-f", "{{json .RepoDigests}}", &app]);
    assert!(
        digests.contains(&format!("{}@{digest}", env.name("team/app"))),
        "{digests}"
    );

    // Again: every layer is there; to another repository: mounted, not uploaded.
    let out = env.d.docker_ok(&["push", &app]);
    assert_eq!(
        out.lines()
            .filter(|l| l.ends_with(": Layer already exists"))
            .count(),
        layered.diff_ids().len(),
        "{out}"
    );
    let other = env.name("other:2");
    env.d.docker_ok(&["tag", "layered:1", &other]);
    let out = env.d.docker_ok(&["push", &other]);
    assert!(out.contains(": Mounted from team/app"), "{out}");

    // Pulled back into an empty store: the same image.
    env.d.docker_ok(&["rmi", "-f", "layered:1", &app, &other]);
    assert_eq!(env.d.docker_ok(&["images", "-q"]), "");
    env.d.docker_ok(&["pull", &app]);
    let id = env.d.docker_ok(&["inspect", "-f", "{{.Id}}", &app]);
    assert_eq!(id.trim(), layered.id());
}

#[test]
#[ignore = "privileged"]
fn login_then_pull_and_push_with_credentials() {
    require_privileged();
    let ns = NetNs::new("login").expect("netns");
    let registry = Registry::builder()
        .htpasswd()
        .start(&ns)
        .expect("the registry starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let busybox = fixtures::busybox().expect("busybox");
    push_fixture(&ns, &registry, dir.path(), &busybox, "busybox:latest");
    let d = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    let addr = registry.addr().to_owned();
    let image = format!("{addr}/busybox:latest");

    // Without credentials: refused, in dockerd's words.
    let out = d.docker(&["pull", &image]).expect("docker runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no basic auth credentials"),
        "{}",
        text(&out.stderr)
    );
    // A wrong password: 401 from the daemon, nothing stored by the CLI.
    let out = d
        .docker(&["login", &addr, "-u", testkit::registry::USER, "-p", "wrong"])
        .expect("docker runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("401 Unauthorized"),
        "{}",
        text(&out.stderr)
    );
    login_pull_push(&d, &addr);
}

#[test]
#[ignore = "privileged"]
fn platforms_of_an_index_and_distribution_inspect() {
    let env = Env::new("platforms");
    let dir = tempfile::tempdir().expect("tempdir");
    let base = fixtures::busybox().expect("busybox");
    let amd64 = testkit::oci_index::for_platform(&base, "linux", "amd64", "").expect("amd64");
    let arm64 = testkit::oci_index::for_platform(&base, "linux", "arm64", "v8").expect("arm64");
    let archive = dir.path().join("multi.oci.tar");
    testkit::oci_index::write_oci_index_archive(
        &archive,
        "multi",
        &[(&arm64, "linux/arm64/v8"), (&amd64, "linux/amd64")],
    )
    .expect("index archive");
    env.registry
        .push_oci_archive(&env.ns, &archive, "multi", "multi:1")
        .expect("skopeo pushes the index");
    let multi = env.name("multi:1");

    // The host's platform by default, another one when asked.
    env.d.docker_ok(&["pull", &multi]);
    let id = env.d.docker_ok(&["inspect", "-f", "{{.Id}}", &multi]);
    assert_eq!(id.trim(), amd64.id());
    env.d
        .docker_ok(&["pull", "--platform", "linux/arm64", &multi]);
    let arch = env
        .d
        .docker_ok(&["inspect", "-f", "{{.Architecture}}/{{.Variant}}", &multi]);
    assert_eq!(arch.trim(), "arm64/v8");
    let out = env
        .d
        .docker(&["pull", "--platform", "linux/s390x", &multi])
        .expect("docker runs");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("no matching manifest for linux/s390x"),
        "{}",
        text(&out.stderr)
    );

    // What the registry holds, without pulling.
    let r = env
        .d
        .request(
            "GET",
            &format!("/v1.47/distribution/{}/json", env.name("multi:1")),
            None,
        )
        .expect("request");
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json().expect("json");
    assert_eq!(
        v["Descriptor"]["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let mut platforms: Vec<String> = v["Platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                p["os"].as_str().unwrap_or(""),
                p["architecture"].as_str().unwrap_or("")
            )
        })
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    let r = env
        .d
        .request(
            "GET",
            &format!("/distribution/{}/json", env.name("busybox")),
            None,
        )
        .expect("request");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json().expect("json")["Platforms"][0]["architecture"],
        "amd64"
    );
    let r = env
        .d
        .request(
            "GET",
            &format!("/distribution/{}/json", env.name("nosuch")),
            None,
        )
        .expect("request");
    assert_eq!(r.status, 404, "{}", r.text());
}

#[test]
#[ignore = "privileged"]
fn zstd_layers_mirrors_and_bearer_tokens() {
    let env = Env::new("pullmore");
    // An OCI image (an index of one) with zstd layers: the same image, the same ID.
    let dir = tempfile::tempdir().expect("tempdir");
    let busybox = fixtures::busybox().expect("busybox");
    let archive = dir.path().join("busybox.tar");
    busybox.write_docker_archive(&archive).expect("archive");
    // A layer no registry or skopeo cache has seen, so skopeo compresses it with zstd rather
    // than reuse a gzip blob it knows.
    let unique = format!("{:?}\n", std::time::SystemTime::now());
    let extra = fixtures::rootfs_tar(&[("etc/zstd-marker", unique.as_bytes())]).expect("tar");
    let layers = vec![busybox.layers[0].clone(), extra];
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", fixtures::sha256_hex(l)))
        .collect();
    let zimage = fixtures::Image {
        config: fixtures::image_config(
            &diff_ids,
            serde_json::json!({"Cmd": ["sh"], "Env": ["PATH=/bin"]}),
            &[],
        )
        .expect("config"),
        layers,
        tags: vec![],
    };
    let oci = dir.path().join("zbox.oci.tar");
    testkit::oci_index::write_oci_index_archive(&oci, "zbox", &[(&zimage, "linux/amd64")])
        .expect("an OCI archive");
    env.registry
        .push_oci_archive_zstd(&env.ns, &oci, "zbox", "zbox:1")
        .expect("skopeo pushes zstd layers");
    let raw = env
        .registry
        .raw_manifest(&env.ns, "zbox:1")
        .expect("the manifest");
    let raw: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    let child = raw["manifests"][0]["digest"]
        .as_str()
        .expect("the image's manifest");
    let raw = env
        .registry
        .raw_manifest(&env.ns, &format!("zbox@{child}"))
        .expect("the image's manifest");
    let raw: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    assert!(
        raw["layers"][1]["mediaType"]
            .as_str()
            .is_some_and(|m| m.ends_with("+zstd")),
        "{raw}"
    );
    let zbox = env.name("zbox:1");
    env.d.docker_ok(&["pull", &zbox]);
    let id = env.d.docker_ok(&["inspect", "-f", "{{.Id}}", &zbox]);
    assert_eq!(id.trim(), zimage.id());
    assert_eq!(
        env.d
            .docker_ok(&["run", "--rm", &zbox, "cat", "/etc/zstd-marker"]),
        unique
    );

    // Docker Hub names through a mirror (the test registry, holding library/busybox).
    env.registry
        .push_docker_archive(&env.ns, &archive, "library/busybox:latest")
        .expect("skopeo pushes");
    let mirrored = Wharfd::builder(BIN)
        .args([
            "--registry-mirror",
            &format!("http://{}", env.registry.addr()),
        ])
        .start(&env.ns)
        .expect("a second wharfd starts");
    let out = mirrored.docker_ok(&["pull", "busybox"]);
    assert!(
        out.contains("Status: Downloaded newer image for busybox:latest"),
        "{out}"
    );
    assert!(
        out.trim_end().ends_with("docker.io/library/busybox:latest"),
        "{out}"
    );
    let id = mirrored.docker_ok(&["inspect", "-f", "{{.Id}}", "busybox"]);
    assert_eq!(id.trim(), busybox.id());
}

#[test]
#[ignore = "privileged"]
fn bearer_token_registries_through_the_cli() {
    require_privileged();
    let ns = NetNs::new("bearer").expect("netns");
    let tokens =
        testkit::TokenServer::start(&ns, testkit::registry::USER, testkit::registry::PASSWORD)
            .expect("token server");
    let registry = Registry::builder()
        .token(&tokens)
        .start(&ns)
        .expect("the registry starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let busybox = fixtures::busybox().expect("busybox");
    push_fixture(&ns, &registry, dir.path(), &busybox, "busybox:latest");
    let d = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    let addr = registry.addr().to_owned();
    login_pull_push(&d, &addr);
    assert!(
        tokens
            .requests()
            .iter()
            .any(|r| r.contains("scope=repository")),
        "{:?}",
        tokens.requests()
    );
}

#[test]
#[ignore = "privileged"]
fn a_pull_cut_by_sigkill_leaves_a_clean_store_and_succeeds_again() {
    let mut env = Env::new("pullkill");
    let layered = env.name("layered:1");
    for delay_ms in [0u64, 20, 60, 150] {
        let mut pull = env
            .d
            .docker_command(&["pull", &layered])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("docker pull");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        env.d.kill().expect("SIGKILL wharfd");
        let _ = pull.wait();
        let dir = env.d.dir().to_path_buf();
        let next = Wharfd::builder(BIN)
            .dir(&dir)
            .start(&env.ns)
            .expect("wharfd restarts after the kill");
        let old = std::mem::replace(&mut env.d, next);
        env.retired.push(old);
        // Either the whole image or none of it.
        let ids = env.d.docker_ok(&["images", "-q", "--no-trunc"]);
        let layered_id = fixtures::layered().expect("layered").id();
        assert!(
            ids.trim().is_empty() || ids.trim() == layered_id,
            "after a kill at {delay_ms} ms: {ids}"
        );
        let out = env.d.docker_ok(&["pull", &layered]);
        assert!(out.contains("Status: "), "{out}");
        let id = env.d.docker_ok(&["inspect", "-f", "{{.Id}}", &layered]);
        assert_eq!(id.trim(), layered_id);
        env.d.docker_ok(&["rmi", &layered]);
    }
}

#[test]
#[ignore = "privileged"]
fn pull_all_tags_of_a_repository() {
    let env = Env::new("alltags");
    let dir = tempfile::tempdir().expect("tempdir");
    for (image, tag) in [
        (fixtures::busybox().expect("busybox"), "tags:one"),
        (fixtures::layered().expect("layered"), "tags:two"),
    ] {
        push_fixture(&env.ns, &env.registry, dir.path(), &image, tag);
    }
    let repo = env.name("tags");
    let out = env.d.docker_ok(&["pull", "--all-tags", &repo]);
    assert!(out.contains("one: Pulling from tags"), "{out}");
    assert!(out.contains("two: Pulling from tags"), "{out}");
    assert_eq!(out.matches("Digest: sha256:").count(), 2, "{out}");
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {repo}\n")),
        "{out}"
    );
    let tags = env.d.docker_ok(&["images", &repo, "--format", "{{.Tag}}"]);
    let mut tags: Vec<&str> = tags.lines().collect();
    tags.sort();
    assert_eq!(tags, ["one", "two"]);
    let out = env.d.docker_ok(&["pull", "--all-tags", &repo]);
    assert!(
        out.contains(&format!("Status: Image is up to date for {repo}\n")),
        "{out}"
    );
}

#[test]
#[ignore = "privileged"]
fn a_secure_registry_trusted_through_certs_d() {
    require_privileged();
    let ns = NetNs::new("tlsreg").expect("netns");
    // An address outside loopback, so the registry is a secure one (loopback never is).
    let ip = testkit::registry::SECURE_IP.to_string();
    for args in [
        vec![
            "link", "add", "reg0", "type", "veth", "peer", "name", "reg1",
        ],
        vec!["addr", "add", &format!("{ip}/24"), "dev", "reg0"],
        vec!["link", "set", "reg0", "up"],
        vec!["link", "set", "reg1", "up"],
    ] {
        ns.run("ip", &args).expect("ip in the test namespace");
    }
    let pki_dir = tempfile::tempdir().expect("tempdir");
    let pki = testkit::TestPki::create(pki_dir.path()).expect("a test CA");
    let addr = format!("{ip}:5443");
    let registry = Registry::builder()
        .addr(&addr)
        .tls(&pki, true)
        .start(&ns)
        .expect("the registry starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let busybox = fixtures::busybox().expect("busybox");
    push_fixture(&ns, &registry, dir.path(), &busybox, "busybox:latest");
    let d = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
    let image = format!("{addr}/busybox");

    // Without the CA: the certificate is not trusted, and nothing falls back to HTTP.
    let out = d.docker(&["pull", &image]).expect("docker runs");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("https://{addr}/v2/")), "{err}");

    // certs.d beside daemon.json, as dockerd reads /etc/docker/certs.d: the CA and the
    // client pair the registry asks for.
    let certs_d = d.paths.config.parent().expect("dir").join("certs.d");
    pki.install(&certs_d, &addr, true).expect("certs.d");
    d.docker_ok(&["pull", &image]);
    let id = d.docker_ok(&["inspect", "-f", "{{.Id}}", &image]);
    assert_eq!(id.trim(), busybox.id());
    let copy = format!("{addr}/copy:1");
    d.docker_ok(&["tag", &image, &copy]);
    d.docker_ok(&["push", &copy]);
}

//! import, tag and remove with Docker's semantics.

use graph::{
    ContainerState, DriverKind, ErrorKind, ImageId, ImageUsers, ImportOptions, NoContainers,
    Removed,
};

use crate::helpers::*;

#[test]
fn import_creates_a_one_layer_image() {
    let (_d, s) = store(DriverKind::Overlay2);
    let rootfs = base_layer();
    let id = s
        .import(
            &mut gzip(&rootfs).as_slice(),
            &ImportOptions {
                reference: Some("trace/imported:1".to_string()),
                config: graph::config::ContainerConfig {
                    cmd: Some(vec!["sh".to_string()]),
                    env: Some(vec!["A=b".to_string()]),
                    exposed_ports: Some([("80/tcp".to_string(), serde_json::json!({}))].into()),
                    ..Default::default()
                },
                engine_version: "wharf-test".to_string(),
                ..ImportOptions::default()
            },
        )
        .expect("import");
    let d = s.inspect("trace/imported:1").expect("inspect");
    assert_eq!(d.id, id);
    assert_eq!(
        d.layers,
        vec![graph::Digest::parse(&sha(&rootfs)).expect("digest")]
    );
    let c = d.config.config.as_ref().expect("config");
    assert_eq!(c.cmd, Some(vec!["sh".to_string()]));
    assert_eq!(c.env, Some(vec!["A=b".to_string()]));
    assert!(
        c.exposed_ports
            .as_ref()
            .expect("ports")
            .contains_key("80/tcp")
    );
    assert_eq!(d.config.architecture.as_deref(), Some(graph::go_arch()));
    assert_eq!(d.config.os.as_deref(), Some("linux"));
    assert_eq!(d.config.docker_version.as_deref(), Some("wharf-test"));
    assert!(d.last_tag_time.is_some());
    let h = s.history(id.as_str()).expect("history");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].comment, "Imported from -");
    assert_eq!(h[0].tags, ["trace/imported:1"]);
    assert!(h[0].size > 0);
    // The config is what Docker's Go code would marshal: container_config before config.
    let raw = String::from_utf8(d.raw_config).expect("utf8");
    assert!(
        raw.starts_with(r#"{"comment":"Imported from -","created":""#),
        "{raw}"
    );
    assert!(raw.contains(r#""rootfs":{"type":"layers","diff_ids":["sha256:"#));
    assert!(s.check().expect("check").is_empty());
}

struct UsedBy {
    image: ImageId,
    state: ContainerState,
}

impl ImageUsers for UsedBy {
    fn container_using(&self, id: &ImageId, state: ContainerState) -> Option<String> {
        (id == &self.image && state == self.state).then(|| "0123456789abcdef0123".to_string())
    }
}

#[test]
fn tag_and_remove_follow_docker() {
    let (_d, s) = store(DriverKind::Overlay2);
    let base = base_layer();
    let cfg = config(&[&base], "bb");
    let id = image_id(&cfg);
    let archive = docker_archive(&[Img {
        config: cfg,
        layers: vec![&base],
        tags: vec!["busybox:latest"],
    }]);
    s.load(&mut archive.as_slice(), &mut no_progress())
        .expect("load");

    let t = s
        .tag("busybox:latest", "docker.io/library/busybox:trace")
        .expect("tag");
    assert_eq!(t.familiar(), "busybox:trace");
    assert!(
        s.tag("busybox", "busybox@sha256:".to_string().as_str())
            .is_err()
    );
    assert_eq!(
        s.tag("nosuch", "x:1").expect_err("missing").to_string(),
        "No such image: nosuch:latest"
    );
    // Untag one of two tags: only that tag goes.
    let r = s
        .remove("busybox:trace", false, false, &NoContainers)
        .expect("rmi");
    assert_eq!(r, vec![Removed::Untagged("busybox:trace".to_string())]);

    // By ID with tags in two repositories: must force.
    s.tag("busybox", "other:1").expect("tag");
    let err = s
        .remove(&id.hex()[..12], false, false, &NoContainers)
        .expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(
        err.to_string(),
        format!(
            "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
            id.short()
        )
    );
    // A running container blocks even forced removal.
    let running = UsedBy {
        image: id.clone(),
        state: ContainerState::Running,
    };
    let err = s
        .remove(id.as_str(), true, false, &running)
        .expect_err("running");
    assert!(
        err.to_string()
            .contains("(cannot be forced) - image is being used by running container 0123456789ab")
    );
    // Removing the last tag while a stopped container uses it: conflict without force.
    s.remove("other:1", false, false, &NoContainers)
        .expect("untag other");
    let stopped = UsedBy {
        image: id.clone(),
        state: ContainerState::Stopped,
    };
    let err = s
        .remove("busybox", false, false, &stopped)
        .expect_err("stopped");
    assert_eq!(
        err.to_string(),
        format!(
            "conflict: unable to remove repository reference \"busybox\" (must force) - container 0123456789ab is using its referenced image {}",
            id.short()
        )
    );
    // The last tag: untag and delete, with the freed layer.
    let r = s
        .remove("busybox", false, false, &NoContainers)
        .expect("rmi");
    assert_eq!(
        r,
        vec![
            Removed::Untagged("busybox:latest".to_string()),
            Removed::Deleted(id.to_string()),
            Removed::Deleted(sha(&base)),
        ]
    );
    assert_eq!(s.image_count().expect("count"), 0);
    assert!(tree(&s.root().join("overlay2")).is_empty());
    assert!(s.check().expect("check").is_empty());
    assert_eq!(
        s.remove("busybox", false, false, &NoContainers)
            .expect_err("gone")
            .to_string(),
        "No such image: busybox:latest"
    );
}

#[test]
fn shared_layers_survive_until_the_last_image() {
    let (_d, s) = store(DriverKind::Vfs);
    let base = base_layer();
    let top = RawTar::new().file("x", b"x").finish();
    let c1 = config(&[&base], "1");
    let c2 = config(&[&base, &top], "2");
    let archive = docker_archive(&[
        Img {
            config: c1.clone(),
            layers: vec![&base],
            tags: vec!["one:1"],
        },
        Img {
            config: c2.clone(),
            layers: vec![&base, &top],
            tags: vec!["two:1"],
        },
    ]);
    s.load(&mut archive.as_slice(), &mut no_progress())
        .expect("load");
    let r = s
        .remove("one:1", false, false, &NoContainers)
        .expect("rmi one");
    // The base layer is still used by `two`.
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        tree(&s.root().join("vfs"))
            .iter()
            .filter(|p| !p.contains('/'))
            .count(),
        2
    );
    let r = s
        .remove("two:1", false, false, &NoContainers)
        .expect("rmi two");
    assert_eq!(r.len(), 4, "untag, image, top layer, base layer: {r:?}");
    assert!(tree(&s.root().join("vfs")).is_empty());
    assert!(s.check().expect("check").is_empty());
}

#[test]
fn driver_choice_and_status() {
    assert_eq!(
        DriverKind::choose(None, true).expect("auto"),
        DriverKind::Overlay2
    );
    assert_eq!(
        DriverKind::choose(None, false).expect("auto"),
        DriverKind::Vfs
    );
    assert_eq!(
        DriverKind::choose(Some("vfs"), true).expect("explicit"),
        DriverKind::Vfs
    );
    let e = DriverKind::choose(Some("zfs"), true).expect_err("unknown");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let (_d, s) = store(DriverKind::Overlay2);
    let status = s.driver_status();
    let keys: Vec<&str> = status.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "Backing Filesystem",
            "Supports d_type",
            "Native Overlay Diff",
            "userxattr"
        ]
    );
    assert_eq!(status[1].1, "true");
    assert_ne!(status[0].1, "<unknown>");
    let (_d, s) = store(DriverKind::Vfs);
    assert!(s.driver_status().is_empty());
    fn send_sync<T: Send + Sync>() {}
    send_sync::<graph::ImageStore>();
}

//! `docker commit` in the store: a writable layer (an overlay upper directory, or a vfs tree)
//! becomes an image above its parent, with the parent's layers and history; a SIGKILL at any
//! step of the commit leaves the parent alone and the new image whole or absent.

use std::path::{Path, PathBuf};

use graph::{CommitOptions, DriverKind, ImageStore, WritableLayer};

use crate::helpers::*;

/// The parent image (`base:1`), loaded.
fn load_parent(s: &ImageStore) -> graph::Digest {
    let base = base_layer();
    let cfg = config(&[&base], "commit-parent");
    let archive = docker_archive(&[Img {
        config: cfg,
        layers: vec![&base],
        tags: vec!["base:1"],
    }]);
    s.load(&mut archive.as_slice(), &mut no_progress())
        .expect("load")[0]
        .id
        .clone()
}

/// A container's writable layer over `base:1`: `new` added, `bin/sh` deleted.
fn writable(s: &ImageStore, driver: DriverKind, dir: &Path) -> WritableLayer {
    let top = s.inspect("base:1").expect("inspect").layer_dirs[0].clone();
    match driver {
        DriverKind::Overlay2 => {
            let up = dir.join("upper");
            std::fs::create_dir_all(up.join("bin")).expect("mkdir");
            std::fs::write(up.join("new"), "committed\n").expect("write");
            let wh = nix::sys::stat::mknod(
                &up.join("bin/sh"),
                nix::sys::stat::SFlag::S_IFCHR,
                nix::sys::stat::Mode::empty(),
                0,
            );
            wh.expect("whiteout");
            WritableLayer::Overlay(up)
        }
        DriverKind::Vfs => {
            let tree = dir.join("tree");
            std::fs::create_dir_all(dir).expect("mkdir");
            let ok = std::process::Command::new("cp")
                .arg("-a")
                .arg(&top)
                .arg(&tree)
                .status()
                .expect("cp");
            assert!(ok.success());
            std::fs::write(tree.join("new"), "committed\n").expect("write");
            std::fs::remove_file(tree.join("bin/sh")).expect("rm");
            WritableLayer::Tree(tree)
        }
    }
}

fn options(parent: graph::Digest) -> CommitOptions {
    CommitOptions {
        parent: Some(parent),
        reference: Some("committed:1".into()),
        author: "me".into(),
        comment: "a message".into(),
        config: Some(graph::config::ContainerConfig {
            cmd: Some(vec!["cat".into(), "/new".into()]),
            ..Default::default()
        }),
        container_id: "c".repeat(64),
        engine_version: "test".into(),
        ..CommitOptions::default()
    }
}

#[test]
fn commits_add_one_layer_with_the_changes() {
    for driver in BOTH {
        let (dir, s) = store(driver);
        let parent = load_parent(&s);
        let layer = writable(&s, driver, dir.path());
        let id = s
            .commit_container(&layer, &options(parent.clone()))
            .expect("commit");
        assert_eq!(s.resolve("committed:1").expect("tagged"), id);
        let d = s.inspect("committed:1").expect("inspect");
        assert_eq!(d.parent.as_ref(), Some(&parent), "{driver:?}");
        assert_eq!(d.layers.len(), 2, "{driver:?}");
        let top = PathBuf::from(&d.layer_dirs[0]);
        let files = tree(&top);
        match driver {
            // Overlay: the layer holds the change and a whiteout.
            DriverKind::Overlay2 => {
                assert!(files.iter().any(|f| f.contains("new")), "{files:?}");
            }
            // vfs: the layer is the whole new tree.
            DriverKind::Vfs => {
                assert!(top.join("new").is_file());
                assert!(!top.join("bin/sh").exists());
            }
        }
        let cfg = &d.config;
        assert_eq!(
            cfg.config.as_ref().and_then(|c| c.cmd.clone()),
            Some(vec!["cat".to_owned(), "/new".to_owned()])
        );
        let last = cfg
            .history
            .as_ref()
            .and_then(|h| h.last())
            .expect("history");
        assert_eq!(last.comment.as_deref(), Some("a message"));
        assert_eq!(last.author.as_deref(), Some("me"));
        assert_eq!(s.check().expect("check"), Vec::<String>::new());
        // The new layer's tar is reproducible (save re-creates it from tar-split).
        let mut out = Vec::new();
        s.save(&["committed:1"], &mut out).expect("save");
    }
}

const CHILD_ENV: &str = "WHARF_GRAPH_COMMIT_CRASH_CHILD";

/// The child side: commits, and kills itself at the named step.
#[test]
fn commit_crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, ';');
    let (root, driver, point) = (
        parts.next().expect("root"),
        parts.next().expect("driver"),
        parts.next().expect("point").to_owned(),
    );
    let driver = if driver == "vfs" {
        DriverKind::Vfs
    } else {
        DriverKind::Overlay2
    };
    let mut s = open(Path::new(root), driver);
    let parent = s.resolve("base:1").expect("parent");
    let layer = writable(&s, driver, &Path::new(root).join("container"));
    s.set_fault_hook(Box::new(move |p| {
        if p == point {
            kill_self();
        }
    }));
    s.commit_container(&layer, &options(parent))
        .expect("commit");
    kill_self();
}

#[test]
fn sigkill_during_a_commit_leaves_all_or_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for driver in BOTH {
        for point in COMMIT_STEPS {
            let root = tmp.path().join(format!("root-{}-{point}", driver.name()));
            let s = open(&root, driver);
            let parent = load_parent(&s);
            drop(s);
            let spec = format!("{};{};{point}", root.display(), driver.name());
            run_killed_child("container_commit::commit_crash_child", CHILD_ENV, &spec);
            let s = open(&root, driver);
            let ctx = format!("{driver:?} killed {point}");
            assert_eq!(s.check().expect("check"), Vec::<String>::new(), "{ctx}");
            assert_eq!(s.resolve("base:1").expect("parent kept"), parent, "{ctx}");
            let n = s.image_count().expect("count");
            if point == "after-commit" {
                assert_eq!(n, 2, "{ctx}: a committed image was lost");
                s.inspect("committed:1").expect("whole");
            } else {
                assert_eq!(n, 1, "{ctx}: a partial image is visible");
            }
        }
    }
}

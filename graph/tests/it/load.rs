//! `load` of docker-archive and OCI layouts, and what it refuses.

use graph::{DriverKind, ErrorKind, LoadProgress};

use crate::helpers::*;

#[test]
fn loads_docker_archive_and_shares_layers() {
    for driver in BOTH {
        let (_d, s) = store(driver);
        let base = base_layer();
        let app = RawTar::new().dir("app/").file("app/run", b"run").finish();
        let c1 = config(&[&base], "one");
        let c2 = config(&[&base, &app], "two");
        let archive = docker_archive(&[
            Img {
                config: c1.clone(),
                layers: vec![&base],
                tags: vec!["busybox:latest"],
            },
            Img {
                config: c2.clone(),
                layers: vec![&base, &app],
                tags: vec!["app:1", "localhost:5000/app:x"],
            },
        ]);
        let mut events = Vec::new();
        let loaded = s
            .load(&mut archive.as_slice(), &mut |e| events.push(e))
            .expect("load");
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded[0].id, image_id(&c1));
        assert_eq!(
            loaded[0].tags[0].to_string(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(loaded[1].tags[1].familiar(), "localhost:5000/app:x");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, LoadProgress::Layer { .. }))
        );
        assert_eq!(s.image_count().expect("count"), 2);
        // The base layer is stored once.
        let root = s.root().join(driver.name());
        assert_eq!(
            std::fs::read_dir(&root).expect("layers").count(),
            2,
            "{driver:?}"
        );
        let list = s.list(true).expect("list");
        assert_eq!(list.len(), 2);
        let two = list.iter().find(|i| i.id == image_id(&c2)).expect("two");
        assert_eq!(two.repo_tags, ["app:1", "localhost:5000/app:x"]);
        let base_size = (b"#!fake shell\n".len() + b"root:x:0:0:root:/root:/bin/sh\n".len()) as u64;
        assert_eq!(two.size, base_size + 3);
        assert_eq!(two.shared_size, Some(base_size));
        assert_eq!(two.labels.as_ref().expect("labels")["salt"], "two");
        assert_eq!(two.created.expect("created").as_second(), 1_767_225_601);
        // Loading again changes nothing and reports the same images.
        let again = s
            .load(&mut archive.as_slice(), &mut no_progress())
            .expect("reload");
        assert_eq!(again, loaded);
        assert_eq!(s.image_count().expect("count"), 2);
        assert_eq!(std::fs::read_dir(&root).expect("layers").count(), 2);
        assert!(s.check().expect("check").is_empty(), "{:?}", s.check());
        // history: newest first, sizes per layer, ID and tags on the top entry.
        let h = s.history("app:1").expect("history");
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].id.as_ref(), Some(&image_id(&c2)));
        assert_eq!(h[0].created_by, "CMD [\"sh\"]");
        assert_eq!((h[0].size, h[1].size, h[2].size), (0, 3, base_size));
        assert_eq!(h[0].tags, ["app:1", "localhost:5000/app:x"]);
        assert_eq!(h[1].id, None);
        let d = s.inspect("app:1").expect("inspect");
        assert_eq!(d.layers.len(), 2);
        assert_eq!(
            d.config.config.as_ref().and_then(|c| c.cmd.clone()),
            Some(vec!["sh".to_string()])
        );
        if driver == DriverKind::Overlay2 {
            assert!(
                d.driver_data.contains_key("LowerDir") && d.driver_data.contains_key("UpperDir")
            );
        }
    }
}

#[test]
fn loads_oci_layout_with_gzip_layers() {
    for driver in BOTH {
        let (_d, s) = store(driver);
        let base = base_layer();
        let top = RawTar::new().file("etc/motd", b"hi\n").finish();
        let cfg = config(&[&base, &top], "oci");
        let img = Img {
            config: cfg.clone(),
            layers: vec![&base, &top],
            tags: vec![],
        };
        let archive = oci_layout(&img, Some("docker.io/library/ocitest:2"));
        let loaded = s
            .load(&mut archive.as_slice(), &mut no_progress())
            .expect("load oci");
        assert_eq!(loaded[0].id, image_id(&cfg));
        assert_eq!(loaded[0].tags[0].familiar(), "ocitest:2");
        // Save writes the uncompressed layers.
        let mut out = Vec::new();
        s.save(&["ocitest:2"], &mut out).expect("save");
        let mut tars = crate::roundtrip::layer_tars(&out);
        tars.sort();
        let mut want = vec![base.clone(), top.clone()];
        want.sort();
        assert_eq!(tars, want);
        // Untagged OCI images load by ID only.
        let (_d2, s2) = store(driver);
        let plain = oci_layout(&img, None);
        let loaded = s2
            .load(&mut plain.as_slice(), &mut no_progress())
            .expect("load oci");
        assert!(loaded[0].tags.is_empty());
        // A whole archive compressed with gzip loads as well.
        let (_d3, s3) = store(driver);
        s3.load(&mut gzip(&archive).as_slice(), &mut no_progress())
            .expect("gzip archive");
        assert_eq!(s3.image_count().expect("count"), 1);
    }
}

#[test]
fn diff_id_mismatch_stores_nothing() {
    for driver in BOTH {
        let (_d, s) = store(driver);
        let base = base_layer();
        let other = RawTar::new().file("x", b"not the declared layer").finish();
        let cfg = config(&[&base, &base], "liar");
        // The config declares `base` twice but the archive's second layer is `other`.
        let archive = docker_archive(&[Img {
            config: cfg,
            layers: vec![&base, &other],
            tags: vec!["liar:1"],
        }]);
        let err = s
            .load(&mut archive.as_slice(), &mut no_progress())
            .expect_err("mismatch");
        assert!(
            matches!(err, graph::Error::DiffIdMismatch { index: 1, .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("invalid diffID for layer 1: expected")
        );
        assert_eq!(s.image_count().expect("count"), 0);
        assert!(
            tree(&s.root().join(driver.name())).is_empty(),
            "{driver:?}: layers left"
        );
        assert!(tree(&s.root().join("image").join(driver.name()).join("staging")).is_empty());
        assert!(s.resolve("liar:1").is_err());
        assert!(s.check().expect("check").is_empty());
    }
}

#[test]
fn bad_archives_are_refused() {
    let (_d, s) = store(DriverKind::Overlay2);
    let base = base_layer();
    let cfg = config(&[&base], "x");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("not a tar", b"garbage".repeat(100)),
        ("no manifest", RawTar::new().file("hello", b"x").finish()),
        (
            "bad tag",
            docker_archive(&[Img {
                config: cfg.clone(),
                layers: vec![&base],
                tags: vec!["Upper:1"],
            }]),
        ),
        (
            "untagged repo tag",
            docker_archive(&[Img {
                config: cfg.clone(),
                layers: vec![&base],
                tags: vec!["repo"],
            }]),
        ),
        (
            "layer count",
            docker_archive(&[Img {
                config: cfg.clone(),
                layers: vec![],
                tags: vec![],
            }]),
        ),
    ];
    for (what, input) in cases {
        let err = s
            .load(&mut input.as_slice(), &mut no_progress())
            .expect_err(what);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{what}: {err}");
    }
    assert_eq!(s.image_count().expect("count"), 0);
    assert!(s.check().expect("check").is_empty());
}

#[test]
fn a_tag_moves_to_the_newly_loaded_image() {
    let (_d, s) = store(DriverKind::Overlay2);
    let base = base_layer();
    let (c1, c2) = (config(&[&base], "old"), config(&[&base], "new"));
    let a1 = docker_archive(&[Img {
        config: c1.clone(),
        layers: vec![&base],
        tags: vec!["t:1"],
    }]);
    let a2 = docker_archive(&[Img {
        config: c2.clone(),
        layers: vec![&base],
        tags: vec!["t:1"],
    }]);
    s.load(&mut a1.as_slice(), &mut no_progress())
        .expect("load");
    let mut moved = Vec::new();
    s.load(&mut a2.as_slice(), &mut |e| {
        if let LoadProgress::TagMoved { reference, old_id } = e {
            moved.push((reference, old_id));
        }
    })
    .expect("load");
    assert_eq!(moved, vec![("t:1".to_string(), image_id(&c1))]);
    assert_eq!(s.resolve("t:1").expect("t"), image_id(&c2));
    let old = s
        .list(false)
        .expect("list")
        .into_iter()
        .find(|i| i.id == image_id(&c1))
        .expect("old");
    assert!(old.repo_tags.is_empty(), "old image is now dangling");
}

/// Old images repeat the empty layer; `docker save` links the second copy to the first.
#[test]
fn repeated_layers_and_linked_members() {
    for driver in BOTH {
        let (_d, s) = store(driver);
        let base = base_layer();
        let empty = RawTar::new().finish();
        let cfg = config(&[&base, &empty, &empty], "rep");
        let mut b = tar::Builder::new(Vec::new());
        let add = |b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]| {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, path, data).expect("append");
        };
        add(&mut b, "l1/layer.tar", &base);
        add(&mut b, "l2/layer.tar", &empty);
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "l3/layer.tar", "../l2/layer.tar")
            .expect("link");
        let cfg_name = format!("{}.json", &sha(&cfg)[7..]);
        add(&mut b, &cfg_name, &cfg);
        let manifest = serde_json::json!([{
            "Config": cfg_name, "RepoTags": ["rep:1"],
            "Layers": ["l1/layer.tar", "l2/layer.tar", "l3/layer.tar"],
        }]);
        add(
            &mut b,
            "manifest.json",
            &serde_json::to_vec(&manifest).expect("json"),
        );
        let archive = b.into_inner().expect("tar");
        let loaded = s
            .load(&mut archive.as_slice(), &mut no_progress())
            .expect("load");
        assert_eq!(loaded[0].id, image_id(&cfg), "{driver:?}");
        assert!(
            s.check().expect("check").is_empty(),
            "{driver:?}: {:?}",
            s.check()
        );
        let mut out = Vec::new();
        s.save(&["rep:1"], &mut out).expect("save");
        // Three layers, the repeated one written once and linked.
        let tars = crate::roundtrip::layer_tars(&out);
        assert_eq!(tars.len(), 2, "{driver:?}");
        let (_d2, s2) = store(driver);
        let again = s2
            .load(&mut out.as_slice(), &mut no_progress())
            .expect("reload");
        assert_eq!(again[0].id, image_id(&cfg));
    }
}

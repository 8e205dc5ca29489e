//! `save` reproduces the exact layer bytes that were loaded, from the extracted files and
//! tar-split records; what was extracted keeps its metadata.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

use graph::DriverKind;

use crate::helpers::*;

/// The regular `layer.tar` members of a saved archive, in archive order.
pub fn layer_tars(archive: &[u8]) -> Vec<Vec<u8>> {
    let mut a = tar::Archive::new(archive);
    let mut out = Vec::new();
    for e in a.entries().expect("entries") {
        let mut e = e.expect("entry");
        let path = e.path().expect("path").display().to_string();
        if path.ends_with("layer.tar") && e.header().entry_type().is_file() {
            let mut v = Vec::new();
            e.read_to_end(&mut v).expect("read");
            out.push(v);
        }
    }
    out
}

fn member_names(archive: &[u8]) -> Vec<String> {
    let mut a = tar::Archive::new(archive);
    a.entries()
        .expect("entries")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .display()
                .to_string()
        })
        .collect()
}

pub fn rich_layer() -> Vec<u8> {
    let owner = Meta {
        uid: 1000,
        gid: 1001,
        mtime: 1_600_000_000,
        ..Meta::default()
    };
    let long_gnu = format!("app/{}/file", "l".repeat(150));
    let long_pax = format!("app/{}", "p".repeat(200));
    let big: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut t = RawTar::new();
    t.entry(
        b'5',
        "app/",
        "",
        Meta {
            mode: 0o755,
            ..owner
        },
        b"",
    )
    .file_m("app/hello.txt", b"hello\n", owner)
    .dir("app/bin/")
    .file_m(
        "app/bin/suid",
        b"#!/bin/sh\necho suid\n",
        Meta {
            mode: 0o4755,
            ..Meta::default()
        },
    )
    .symlink("app/bin/keep.symlink", "../data/keep")
    .dir("app/data/")
    .file("app/data/keep", b"keep me\n")
    .hardlink("app/data/keep.hardlink", "app/data/keep")
    .gnu_long_name(&long_gnu)
    .file(&long_gnu[..100], b"gnu long name\n")
    .pax(&[
        ("path", long_pax.as_bytes()),
        ("SCHILY.xattr.user.comment", b"hi there"),
        ("mtime", b"1700000000.25"),
    ])
    .file("app/pax-placeholder", b"pax long name\n")
    .entry(b'6', "app/fifo", "", Meta::default(), b"")
    .entry(
        b'3',
        "app/null",
        "",
        Meta {
            major: 1,
            minor: 3,
            mode: 0o666,
            ..Meta::default()
        },
        b"",
    )
    .file("app/dup", b"first")
    .file("app/dup", b"second version")
    .file("app/gone", b"temporary")
    .file("app/.wh.gone", b"")
    .dir("app/replaced/")
    .file("app/replaced/f", b"in a dir that a symlink replaces")
    .symlink("app/replaced", "bin")
    // Entries that replace what an earlier entry of the same tar made.
    .file("app/file-then-dir", b"a file first")
    .dir("app/file-then-dir/")
    .file("app/file-then-dir/inner", b"then a directory")
    .dir("app/dir-then-file/")
    .file("app/dir-then-file/inner", b"in a directory first")
    .file("app/dir-then-file", b"then a file")
    .symlink("app/link-then-file", "hello.txt")
    .file("app/link-then-file", b"then a file")
    .entry(b'6', "app/fifo-then-link", "", Meta::default(), b"")
    .symlink("app/fifo-then-link", "hello.txt")
    .dir("app/bin/")
    .file("app/big.bin", &big)
    .file("app/empty", b"");
    let len = t.buf.len() + 1024;
    t.finish_with((10240 - len % 10240) % 10240)
}

#[test]
fn save_reproduces_layers_byte_for_byte() {
    for driver in BOTH {
        let (_d, s) = store(driver);
        let base = base_layer();
        let rich = rich_layer();
        let cfg = config(&[&base, &rich], "rich");
        let id = image_id(&cfg);
        // The base layer compressed with gzip, the rich one with zstd: save writes them
        // uncompressed, as they hash to their diff IDs.
        let gz = gzip(&base);
        let zst = zstd::encode_all(rich.as_slice(), 3).expect("zstd");
        let archive = docker_archive(&[Img {
            config: cfg.clone(),
            layers: vec![&gz, &zst],
            tags: vec!["rich:1"],
        }]);
        // The archive's layers are compressed, so their paths differ from diff IDs: rewrite the
        // config lookup by loading through the generic path.
        let loaded = s
            .load(&mut archive.as_slice(), &mut no_progress())
            .expect("load");
        assert_eq!(loaded[0].id, id);

        let mut out = Vec::new();
        s.save(&["rich:1"], &mut out).expect("save");
        // Layer directories are named by v1 ID, so archive order is not layer order.
        let mut tars = layer_tars(&out);
        tars.sort_by_key(|t| t.len());
        assert_eq!(tars.len(), 2);
        assert_eq!(sha(&tars[0]), sha(&base), "{driver:?}");
        assert_eq!(tars[1].len(), rich.len(), "{driver:?}");
        assert!(tars[1] == rich, "{driver:?}: rich layer differs");

        // Metadata of what was extracted (top layer's diff).
        let top = &s.inspect("rich:1").expect("inspect").layer_dirs[0];
        let m = |p: &str| std::fs::symlink_metadata(top.join(p)).expect(p);
        assert_eq!(m("app/bin/suid").permissions().mode() & 0o7777, 0o4755);
        assert_eq!(
            (m("app/hello.txt").uid(), m("app/hello.txt").gid()),
            (1000, 1001)
        );
        assert_eq!(m("app/hello.txt").mtime(), 1_600_000_000);
        assert_eq!(m("app").uid(), 1000, "directory owner");
        assert_eq!(
            m("app").mtime(),
            1_600_000_000,
            "directory mtime set after its children"
        );
        assert_eq!(m("app/data/keep").ino(), m("app/data/keep.hardlink").ino());
        assert_eq!(
            std::fs::read_link(top.join("app/bin/keep.symlink"))
                .expect("link")
                .display()
                .to_string(),
            "../data/keep"
        );
        let pax = format!("app/{}", "p".repeat(200));
        assert_eq!(
            std::fs::read(top.join(&pax)).expect("pax file"),
            b"pax long name\n"
        );
        assert_eq!(
            (m(&pax).mtime(), m(&pax).mtime_nsec()),
            (1_700_000_000, 250_000_000)
        );
        assert_eq!(
            crate::whiteout::xattr_get(&top.join(&pax), "user.comment").as_deref(),
            Some(&b"hi there"[..])
        );
        let gnu = format!("app/{}/file", "l".repeat(150));
        assert_eq!(
            std::fs::read(top.join(gnu)).expect("gnu file"),
            b"gnu long name\n"
        );
        assert!(m("app/fifo").file_type().is_fifo());
        assert!(m("app/null").file_type().is_char_device());
        assert_eq!(m("app/null").rdev(), nix::sys::stat::makedev(1, 3));
        assert_eq!(
            std::fs::read(top.join("app/dup")).expect("dup"),
            b"second version"
        );
        assert!(m("app/replaced").file_type().is_symlink());
        assert_eq!(
            std::fs::read(top.join("app/file-then-dir/inner")).expect("inner"),
            b"then a directory"
        );
        assert_eq!(
            std::fs::read(top.join("app/dir-then-file")).expect("file"),
            b"then a file"
        );
        assert!(m("app/link-then-file").is_file());
        assert!(m("app/fifo-then-link").file_type().is_symlink());
        assert!(
            m("app/bin/suid").is_file(),
            "a directory entry repeated keeps what is in it"
        );
        match driver {
            DriverKind::Overlay2 => assert!(m("app/gone").file_type().is_char_device()),
            DriverKind::Vfs => assert!(std::fs::symlink_metadata(top.join("app/gone")).is_err()),
        }

        // The saved archive loads into a fresh store with the same ID and tag.
        let (_d2, s2) = store(driver);
        let again = s2
            .load(&mut out.as_slice(), &mut no_progress())
            .expect("reload");
        assert_eq!(again[0].id, id);
        assert_eq!(again[0].tags[0].familiar(), "rich:1");
        assert!(s.check().expect("check").is_empty());
        assert!(s2.check().expect("check").is_empty());
    }
}

#[test]
fn save_layout_matches_docker_20_10() {
    let (_d, s) = store(DriverKind::Overlay2);
    let base = base_layer();
    let top = RawTar::new().file("etc/hostname", b"x\n").finish();
    let cfg = config(&[&base, &top], "layout");
    let id = image_id(&cfg);
    let archive = docker_archive(&[Img {
        config: cfg,
        layers: vec![&base, &top],
        tags: vec!["lay:1", "lay:2"],
    }]);
    s.load(&mut archive.as_slice(), &mut no_progress())
        .expect("load");
    let mut out = Vec::new();
    s.save(&["lay"], &mut out)
        .expect("save all tags of a repository");
    let names = member_names(&out);
    // Two layer directories (4 entries each), the config, manifest.json, repositories.
    assert_eq!(names.len(), 11, "{names:?}");
    assert_eq!(names[names.len() - 2], "manifest.json");
    assert_eq!(names[names.len() - 1], "repositories");
    assert!(names.contains(&format!("{}.json", id.hex())));
    let manifest = tar_member(&out, "manifest.json");
    let m: serde_json::Value = serde_json::from_slice(&manifest).expect("json");
    assert_eq!(m[0]["Config"], format!("{}.json", id.hex()));
    assert_eq!(m[0]["RepoTags"], serde_json::json!(["lay:1", "lay:2"]));
    assert_eq!(m[0]["Layers"].as_array().expect("layers").len(), 2);
    assert!(manifest.ends_with(b"]\n"));
    let repos: serde_json::Value =
        serde_json::from_slice(&tar_member(&out, "repositories")).expect("json");
    let top_v1 = m[0]["Layers"][1]
        .as_str()
        .expect("path")
        .trim_end_matches("/layer.tar")
        .to_string();
    assert_eq!(repos["lay"]["1"], top_v1);
    let v1: serde_json::Value =
        serde_json::from_slice(&tar_member(&out, &format!("{top_v1}/json"))).expect("json");
    assert_eq!(v1["id"], top_v1);
    assert!(v1["parent"].is_string());
    assert_eq!(tar_member(&out, &format!("{top_v1}/VERSION")), b"1.0");

    // By ID: no tags, RepoTags null.
    let mut out = Vec::new();
    s.save(&[&id.hex()[..8]], &mut out).expect("save by prefix");
    let m: serde_json::Value =
        serde_json::from_slice(&tar_member(&out, "manifest.json")).expect("json");
    assert!(m[0]["RepoTags"].is_null());
    assert!(!member_names(&out).contains(&"repositories".to_string()));
    let e = s
        .save(&["lay:nosuch"], &mut Vec::new())
        .expect_err("missing");
    assert_eq!(e.to_string(), "reference does not exist");
}

fn tar_member(archive: &[u8], name: &str) -> Vec<u8> {
    let mut a = tar::Archive::new(archive);
    for e in a.entries().expect("entries") {
        let mut e = e.expect("entry");
        if e.path().expect("path").display().to_string() == name {
            let mut v = Vec::new();
            e.read_to_end(&mut v).expect("read");
            return v;
        }
    }
    panic!("{name} not in archive");
}

/// The extractor skips `chown`/`chmod` where creating an entry already gave the tar's owner
/// and mode: whatever the umask takes away, a set-group-ID directory passes on, or the
/// entry's owner, what lands on disk is exactly the tar's.
#[test]
fn owners_and_modes_are_exact_whatever_creating_gives() {
    let m = |mode: u32, uid: u64, gid: u64| Meta {
        mode,
        uid,
        gid,
        ..Meta::default()
    };
    let mut t = RawTar::new();
    t.entry(b'5', "open/", "", m(0o777, 0, 0), b"")
        .file_m("open/f", b"x", m(0o666, 0, 0))
        .file_m("open/plain", b"x", m(0o644, 0, 0))
        .entry(b'5', "private/", "", m(0o700, 0, 0), b"")
        .file_m("private/f", b"x", m(0o600, 0, 0))
        .entry(b'5', "sticky/", "", m(0o1777, 0, 0), b"")
        .file_m("owned", b"x", m(0o644, 7, 8))
        .entry(b'5', "sgid/", "", m(0o2775, 0, 50), b"")
        .file_m("sgid/f", b"x", m(0o644, 0, 0))
        .entry(b'5', "sgid/sub/", "", m(0o755, 0, 0), b"")
        .entry(b'2', "sgid/link", "f", m(0o777, 0, 0), b"")
        .file_m("after", b"x", m(0o644, 0, 0))
        .entry(b'5', "ro/", "", m(0o555, 0, 0), b"")
        .file_m("ro/f", b"x", m(0o444, 0, 0));
    let layer = t.finish();
    for driver in BOTH {
        let (_d, s) = store(driver);
        let cfg = config(&[&layer], "modes");
        let archive = docker_archive(&[Img {
            config: cfg,
            layers: vec![&layer],
            tags: vec!["modes:1"],
        }]);
        s.load(&mut archive.as_slice(), &mut no_progress())
            .expect("load");
        let top = s.inspect("modes:1").expect("inspect").layer_dirs[0].clone();
        let meta = |p: &str| std::fs::symlink_metadata(top.join(p)).expect(p);
        for (path, mode, uid, gid) in [
            ("open", 0o777, 0, 0),
            ("open/f", 0o666, 0, 0),
            ("open/plain", 0o644, 0, 0),
            ("private", 0o700, 0, 0),
            ("private/f", 0o600, 0, 0),
            ("sticky", 0o1777, 0, 0),
            ("owned", 0o644, 7, 8),
            ("sgid", 0o2775, 0, 50),
            ("sgid/f", 0o644, 0, 0),
            ("sgid/sub", 0o755, 0, 0),
            ("after", 0o644, 0, 0),
            ("ro", 0o555, 0, 0),
            ("ro/f", 0o444, 0, 0),
        ] {
            let md = meta(path);
            assert_eq!(
                (md.mode() & 0o7777, md.uid(), md.gid()),
                (mode, uid, gid),
                "{driver:?}: {path}"
            );
        }
        let link = meta("sgid/link");
        assert_eq!(
            (link.uid(), link.gid()),
            (0, 0),
            "{driver:?}: symlink owner"
        );
    }
}

/// Directory times are set last, on two threads when there are many directories: every one
/// gets the tar's mtime, whatever was created in it afterwards.
#[test]
fn every_directory_keeps_its_time_when_there_are_many() {
    let mut t = RawTar::new();
    let dir_meta = |i: u64| Meta {
        mode: 0o755,
        mtime: 1_500_000_000 + i,
        ..Meta::default()
    };
    for i in 0..700u64 {
        t.entry(b'5', &format!("d{i}/"), "", dir_meta(i), b"")
            .file(&format!("d{i}/f"), b"x");
    }
    let layer = t.finish();
    for driver in BOTH {
        let (_d, s) = store(driver);
        let archive = docker_archive(&[Img {
            config: config(&[&layer], "dirtimes"),
            layers: vec![&layer],
            tags: vec!["dirtimes:1"],
        }]);
        s.load(&mut archive.as_slice(), &mut no_progress())
            .expect("load");
        let top = s.inspect("dirtimes:1").expect("inspect").layer_dirs[0].clone();
        for i in 0..700u64 {
            let m = std::fs::metadata(top.join(format!("d{i}"))).expect("dir");
            assert_eq!(m.mtime(), 1_500_000_000 + i as i64, "{driver:?}: d{i}");
        }
    }
}

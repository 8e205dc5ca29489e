//! Whiteouts and opaque directories on both drivers.

use std::os::unix::fs::{FileTypeExt, MetadataExt};

use graph::DriverKind;

use crate::helpers::*;

fn layers() -> (Vec<u8>, Vec<u8>) {
    let base = RawTar::new()
        .dir("a/")
        .file("a/file1", b"one")
        .file("a/file2", b"two")
        .dir("dir/")
        .dir("dir/sub/")
        .file("dir/sub/x", b"x")
        .file("dir/old", b"old")
        .file("keep", b"keep")
        .finish();
    let top = RawTar::new()
        .dir("a/")
        .file("a/.wh.file1", b"")
        .dir("dir/")
        .file("dir/.wh..wh..opq", b"")
        .file("dir/new", b"new")
        .finish();
    (base, top)
}

fn load(
    driver: DriverKind,
) -> (
    tempfile::TempDir,
    graph::ImageStore,
    Vec<std::path::PathBuf>,
) {
    let (d, s) = store(driver);
    let (base, top) = layers();
    let cfg = config(&[&base, &top], "wh");
    let archive = docker_archive(&[Img {
        config: cfg,
        layers: vec![&base, &top],
        tags: vec!["wh:1"],
    }]);
    s.load(&mut archive.as_slice(), &mut no_progress())
        .expect("load");
    let dirs = s.inspect("wh:1").expect("inspect").layer_dirs;
    (d, s, dirs)
}

#[test]
fn overlay2_stores_whiteouts_for_overlayfs() {
    let (_d, s, dirs) = load(DriverKind::Overlay2);
    let top = &dirs[0];
    assert_eq!(tree(top), ["a", "a/file1", "dir", "dir/new"]);
    let wh = std::fs::symlink_metadata(top.join("a/file1")).expect("whiteout");
    assert!(wh.file_type().is_char_device(), "whiteout is a char device");
    assert_eq!(wh.rdev(), 0, "whiteout is 0/0");
    let opaque = graph::driver::OPAQUE_XATTR;
    let v = xattr_get(&top.join("dir"), opaque);
    assert_eq!(v.as_deref(), Some(&b"y"[..]), "opaque xattr");
    assert_eq!(xattr_get(&top.join("a"), opaque), None);
    // The lower layer is untouched.
    assert_eq!(
        tree(&dirs[1]),
        [
            "a",
            "a/file1",
            "a/file2",
            "dir",
            "dir/old",
            "dir/sub",
            "dir/sub/x",
            "keep"
        ]
    );
    assert!(s.check().expect("check").is_empty());
}

#[test]
fn vfs_applies_whiteouts() {
    let (_d, s, dirs) = load(DriverKind::Vfs);
    assert_eq!(tree(&dirs[0]), ["a", "a/file2", "dir", "dir/new", "keep"]);
    assert_eq!(
        tree(&dirs[1]),
        [
            "a",
            "a/file1",
            "a/file2",
            "dir",
            "dir/old",
            "dir/sub",
            "dir/sub/x",
            "keep"
        ]
    );
    assert!(s.check().expect("check").is_empty());
}

/// The whiteout entries themselves still come back on save (the tar is reproduced).
#[test]
fn whiteout_layers_save_byte_for_byte() {
    for driver in BOTH {
        let (_d, s, _) = load(driver);
        let mut out = Vec::new();
        s.save(&["wh:1"], &mut out).expect("save");
        let (base, top) = layers();
        let got = crate::roundtrip::layer_tars(&out);
        assert_eq!(got.len(), 2, "{driver:?}");
        assert!(got.contains(&base) && got.contains(&top), "{driver:?}");
    }
}

pub fn xattr_get(path: &std::path::Path, name: &str) -> Option<Vec<u8>> {
    xattr::get(path, name).ok().flatten()
}

//! Hostile layer tars: nothing may be written (or deleted) outside the layer.

use std::path::Path;

use graph::{ErrorKind, ImportOptions};

use crate::helpers::*;

/// Imports `tar` and expects a bad-input error.
fn refused(root: &Path, driver: graph::DriverKind, tar: &[u8], what: &str) -> String {
    let s = open(root, driver);
    let err = s
        .import(&mut &tar[..], &ImportOptions::default())
        .expect_err(what);
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{what}: {err}");
    assert_eq!(s.image_count().expect("count"), 0, "{what}");
    assert!(s.check().expect("check").is_empty(), "{what}");
    err.to_string()
}

#[test]
fn escapes_are_refused_and_nothing_leaks() {
    for driver in BOTH {
        let base = tempfile::tempdir().expect("tempdir");
        let root = base.path().join("root");
        let outside = base.path().join("outside");
        std::fs::create_dir_all(&outside).expect("mkdir");
        std::fs::write(outside.join("sentinel"), b"keep me").expect("write");
        // Relative to `/`, for writing through a symlink to the root.
        let outside_rel = outside
            .strip_prefix("/")
            .expect("absolute")
            .display()
            .to_string();

        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("dot-dot", RawTar::new().file("../pwned", b"x").finish()),
            (
                "nested dot-dot",
                RawTar::new().file("a/../../pwned", b"x").finish(),
            ),
            (
                "deep dot-dot",
                RawTar::new()
                    .file("../../../../../../../../tmp/pwned", b"x")
                    .finish(),
            ),
            (
                "absolute",
                RawTar::new()
                    .file(&format!("{}/pwned", outside.display()), b"x")
                    .finish(),
            ),
            (
                "write through symlink to /",
                RawTar::new()
                    .symlink("link", "/")
                    .file(&format!("link/{outside_rel}/pwned"), b"x")
                    .finish(),
            ),
            (
                "write through symlink to outside dir",
                RawTar::new()
                    .symlink("out", &outside.display().to_string())
                    .file("out/pwned", b"x")
                    .finish(),
            ),
            (
                "relative symlink leaving the layer",
                RawTar::new()
                    .symlink("up", "../../../../../../../..")
                    .finish(),
            ),
            (
                "hard link up",
                RawTar::new().hardlink("hl", "../../pwned").finish(),
            ),
            (
                "hard link absolute",
                RawTar::new().hardlink("hl", "/etc/passwd").finish(),
            ),
            (
                "hard link through symlink",
                RawTar::new()
                    .symlink("d", "/")
                    .hardlink("hl", "d/etc/passwd")
                    .finish(),
            ),
            (
                "whiteout through symlink",
                RawTar::new()
                    .symlink("link", "/")
                    .file(&format!("link/{outside_rel}/.wh.sentinel"), b"")
                    .finish(),
            ),
            (
                "opaque through symlink",
                RawTar::new()
                    .symlink("link", &outside.display().to_string())
                    .file("link/.wh..wh..opq", b"")
                    .finish(),
            ),
        ];
        for (what, tar) in cases {
            let msg = refused(&root, driver, &tar, what);
            assert!(msg.starts_with("refusing to extract"), "{what}: {msg}");
            let leaked: Vec<String> = tree(base.path())
                .into_iter()
                .filter(|p| p.ends_with("pwned"))
                .collect();
            assert!(leaked.is_empty(), "{driver:?} {what}: wrote {leaked:?}");
            assert!(!Path::new("/tmp/pwned").exists(), "{what}");
            assert_eq!(
                std::fs::read(outside.join("sentinel")).expect("sentinel survives"),
                b"keep me",
                "{what}"
            );
            assert_eq!(tree(&outside), vec!["sentinel".to_string()], "{what}");
        }
    }
}

#[test]
fn absolute_symlinks_inside_the_image_are_fine() {
    let (_d, s) = store(graph::DriverKind::Overlay2);
    let tar = RawTar::new()
        .dir("bin/")
        .file("bin/busybox", b"bb")
        .symlink("bin/sh", "/bin/busybox")
        .symlink("lib", "usr/lib")
        .finish();
    s.import(&mut &tar[..], &ImportOptions::default())
        .expect("import");
}

#[test]
fn truncated_and_non_tar_input_is_a_clean_error() {
    let (_d, s) = store(graph::DriverKind::Overlay2);
    let good = base_layer();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "text",
            b"hello, this is not a tar archive at all".repeat(20),
        ),
        ("truncated header", good[..300].to_vec()),
        ("truncated content", good[..512 + 5].to_vec()),
        ("corrupt gzip", {
            let mut g = gzip(&good);
            let n = g.len();
            g.truncate(n / 2);
            g
        }),
    ];
    for (what, input) in cases {
        let err = s
            .import(&mut input.as_slice(), &ImportOptions::default())
            .expect_err(what);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{what}: {err}");
    }
    assert_eq!(s.image_count().expect("count"), 0);
    assert!(s.check().expect("check").is_empty());
    let staging = s.root().join("image/overlay2/staging");
    assert!(
        tree(&staging).is_empty(),
        "staging left: {:?}",
        tree(&staging)
    );
}

#[test]
fn directory_times_are_never_set_through_a_symlink() {
    for driver in BOTH {
        let base = tempfile::tempdir().expect("tempdir");
        let root = base.path().join("root");
        let outside = base.path().join("outside");
        std::fs::create_dir_all(outside.join("sub")).expect("mkdir");
        let before = std::fs::metadata(outside.join("sub"))
            .expect("stat")
            .modified()
            .expect("mtime");
        // `a/sub/` gets its time at the end of the layer, when `a` has become an (absolute,
        // hence allowed) symlink to a directory outside: the time must not land there.
        let tar = RawTar::new()
            .dir("a/")
            .dir("a/sub/")
            .symlink("a", &outside.display().to_string())
            .finish();
        let s = open(&root, driver);
        s.import(&mut &tar[..], &ImportOptions::default())
            .expect("import");
        let after = std::fs::metadata(outside.join("sub"))
            .expect("stat")
            .modified()
            .expect("mtime");
        assert_eq!(after, before, "{driver:?}: outside/sub's mtime changed");
    }
}

#[test]
fn a_hard_link_to_itself_is_refused() {
    for driver in BOTH {
        let base = tempfile::tempdir().expect("tempdir");
        let tar = RawTar::new().file("a", b"x").hardlink("a", "a").finish();
        let msg = refused(base.path(), driver, &tar, "hard link to itself");
        assert!(msg.contains("points to itself"), "{msg}");
    }
}

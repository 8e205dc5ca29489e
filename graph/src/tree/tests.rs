//! The tree operations on plain directories (no container): names as moby writes them, paths
//! that stay inside the root, hostile tars, changes.

use std::io::Write;
use std::os::unix::fs::symlink;

use super::changes::{self, Change, ChangeKind};
use super::{ExtractOptions, Root, container_path};

fn names(tar: &[u8]) -> Vec<String> {
    tar::Archive::new(tar)
        .entries()
        .expect("a tar")
        .map(|e| String::from_utf8_lossy(&e.expect("entry").path_bytes()).into_owned())
        .collect()
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::create_dir_all(p.join("d/sub")).expect("mkdir");
    std::fs::create_dir_all(p.join("etc")).expect("mkdir");
    std::fs::write(p.join("d/f"), "file").expect("write");
    std::fs::write(p.join("d/sub/g"), "g").expect("write");
    symlink("d", p.join("l")).expect("symlink");
    symlink("/../../../d/f", p.join("esc")).expect("symlink");
    dir
}

fn archive(root: &Root, path: &str) -> Vec<String> {
    let abs = container_path(path);
    let stat = root.stat(&abs).expect("stat");
    let mut out = Vec::new();
    root.archive(&abs, &stat, &mut out).expect("archive");
    names(&out)
}

#[test]
fn archives_are_named_as_dockerd_names_them() {
    let dir = tree();
    let root = Root::open(dir.path()).expect("root");
    assert_eq!(archive(&root, "/d"), ["d/", "d/f", "d/sub/", "d/sub/g"]);
    assert_eq!(archive(&root, "/d/."), ["./", "./f", "./sub/", "./sub/g"]);
    assert_eq!(archive(&root, "d/f"), ["f"]);
    // A link is the link, unless the path ends with a slash.
    assert_eq!(archive(&root, "/l"), ["l"]);
    assert_eq!(archive(&root, "/l/"), ["l/", "l/f", "l/sub/", "l/sub/g"]);
    let all = archive(&root, "/");
    assert_eq!(all[0], "/");
    assert!(all.contains(&"/d/sub/g".to_owned()), "{all:?}");
}

#[test]
fn stats_resolve_links_inside_the_root() {
    let dir = tree();
    let root = Root::open(dir.path()).expect("root");
    let s = root.stat("/esc").expect("stat");
    assert!(s.is_symlink());
    assert_eq!(
        s.link_target, "/d/f",
        "an absolute link climbing out stops at the root"
    );
    assert_eq!(root.stat("/l").expect("stat").link_target, "/d");
    assert!(root.stat("/l/").expect("stat").is_dir());
    assert_eq!(root.stat("/d/.").expect("stat").name, ".");
    let missing = root.stat("/nope").expect_err("missing");
    assert!(
        matches!(&missing, crate::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    let not_dir = root.stat("/d/f/x").expect_err("not a directory");
    assert_eq!(not_dir.to_string(), "lstat /d/f/x: not a directory");
}

/// A tar entry with `name` and `link` written as they are.
fn entry(b: &mut tar::Builder<Vec<u8>>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1);
    h.set_size(data.len() as u64);
    h.set_entry_type(kind);
    h.set_cksum();
    b.append(&h, data).expect("append");
}

fn extract(
    root: &Root,
    dest: &str,
    build: impl FnOnce(&mut tar::Builder<Vec<u8>>),
) -> crate::Result<()> {
    let mut b = tar::Builder::new(Vec::new());
    build(&mut b);
    let tar = b.into_inner().expect("tar");
    let dest = root.extract_dir(dest)?;
    root.extract(&dest, &mut tar.as_slice(), &ExtractOptions::default())
}

#[test]
fn hostile_tars_stay_inside_the_root() {
    let outer = tempfile::tempdir().expect("tempdir");
    let rootdir = outer.path().join("root");
    std::fs::create_dir_all(rootdir.join("tmp")).expect("mkdir");
    let root = Root::open(&rootdir).expect("root");
    let reg = tar::EntryType::Regular;
    let e = extract(&root, "/tmp", |b| {
        entry(b, "../../../escaped", reg, "", b"x")
    })
    .expect_err("..");
    assert!(e.to_string().contains("is outside of"), "{e}");
    let e = extract(&root, "/tmp", |b| {
        entry(b, "up", tar::EntryType::Symlink, "../../..", b"")
    })
    .expect_err("link out");
    assert!(e.to_string().contains("invalid symlink"), "{e}");
    let e = extract(&root, "/tmp", |b| {
        entry(b, "hl", tar::EntryType::Link, "../../x", b"")
    })
    .expect_err("hard link out");
    assert!(e.to_string().contains("invalid hardlink"), "{e}");
    // A link to the root, then a file through it: inside the root, as dockerd's chroot.
    extract(&root, "/tmp", |b| {
        entry(b, "evil", tar::EntryType::Symlink, "/", b"");
        entry(b, "evil/escaped", reg, "", b"inside");
        entry(b, "dots", tar::EntryType::Symlink, "/../../..", b"");
        entry(b, "dots/escaped2", reg, "", b"inside");
    })
    .expect("contained");
    assert_eq!(
        std::fs::read_to_string(rootdir.join("escaped")).expect("inside"),
        "inside"
    );
    assert!(rootdir.join("escaped2").is_file());
    assert!(!outer.path().join("escaped").exists());
    assert!(!outer.path().join("escaped2").exists());
    let e = extract(&root, "/tmp/evil/escaped", |_| {}).expect_err("a file");
    assert_eq!(e.to_string(), "extraction point is not a directory");
}

#[test]
fn no_overwrite_dir_non_dir_refuses_as_dockerd() {
    let dir = tree();
    let root = Root::open(dir.path()).expect("root");
    let mut b = tar::Builder::new(Vec::new());
    entry(&mut b, "sub", tar::EntryType::Regular, "", b"x");
    let tar = b.into_inner().expect("tar");
    let opts = ExtractOptions {
        no_overwrite_dir_non_dir: true,
        chown: None,
    };
    let e = root
        .extract("/d", &mut tar.as_slice(), &opts)
        .expect_err("refused");
    assert_eq!(
        e.to_string(),
        r#"cannot overwrite directory "/d/sub" with non-directory "/d""#
    );
    root.extract("/d", &mut tar.as_slice(), &ExtractOptions::default())
        .expect("replaced without the option");
    assert!(dir.path().join("d/sub").is_file());
}

fn kinds(list: Vec<Change>) -> Vec<String> {
    list.into_iter()
        .map(|c| {
            let k = match c.kind {
                ChangeKind::Modify => 'C',
                ChangeKind::Add => 'A',
                ChangeKind::Delete => 'D',
            };
            format!("{k} {}", c.path)
        })
        .collect()
}

#[test]
fn changes_of_an_upper_dir_and_of_two_trees() {
    let lower = tree();
    let upper = tempfile::tempdir().expect("tempdir");
    let up = upper.path();
    std::fs::create_dir_all(up.join("d")).expect("mkdir");
    std::fs::create_dir_all(up.join("etc")).expect("mkdir");
    std::fs::write(up.join("etc/hosts"), "").expect("init layer");
    std::fs::write(up.join("d/f"), "changed").expect("write");
    std::fs::write(up.join("new"), "n").expect("write");
    crate::fsutil::make_whiteout(&up.join("d/gone")).expect("whiteout");
    // Not the lower directory's time (tmpfs's clock is coarse enough to make them equal).
    crate::fsutil::lutimes(&up.join("d"), (1000, 0), (1000, 0)).expect("times");
    let list = changes::overlay(up, &[lower.path()]).expect("changes");
    assert_eq!(kinds(list), ["C /d", "C /d/f", "D /d/gone", "A /new"]);

    let new = tempfile::tempdir().expect("tempdir");
    let copy = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", lower.path().display()))
        .arg(new.path())
        .status()
        .expect("cp");
    assert!(copy.success());
    std::fs::remove_file(new.path().join("d/sub/g")).expect("rm");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(new.path().join("d/f"))
        .expect("open");
    f.write_all(b"more").expect("write");
    std::fs::write(new.path().join("added"), "a").expect("write");
    let list = changes::compare(Some(lower.path()), new.path()).expect("compare");
    assert_eq!(
        kinds(list),
        ["A /added", "C /d", "C /d/f", "C /d/sub", "D /d/sub/g"]
    );
}

#[test]
fn file_capabilities_survive_a_round_trip() {
    let dir = tree();
    let file = dir.path().join("d/f");
    // VFS_CAP_REVISION_2, permitted: cap_net_raw (13).
    let mut cap = Vec::new();
    for word in [0x0200_0000u32, 1 << 13, 0, 0, 0] {
        cap.extend_from_slice(&word.to_le_bytes());
    }
    if xattr::set(&file, "security.capability", &cap).is_err() {
        // A filesystem without security attributes: nothing to keep.
        return;
    }
    let root = Root::open(dir.path()).expect("root");
    let abs = container_path("/d/f");
    let stat = root.stat(&abs).expect("stat");
    let mut tar = Vec::new();
    root.archive(&abs, &stat, &mut tar).expect("archive");
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    root.extract("/out", &mut tar.as_slice(), &ExtractOptions::default())
        .expect("extract");
    let got = xattr::get(dir.path().join("out/f"), "security.capability").expect("getxattr");
    assert_eq!(got, Some(cap));
}

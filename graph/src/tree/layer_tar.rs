//! The tar of a container's writable layer, for `docker commit`: an overlay upper directory
//! walked with its whiteouts and opaque directories written as `.wh.` files (moby's overlay2
//! `Diff`), or, for vfs, the changes between the image's tree and the container's (moby's
//! `ExportChanges`). dockerd's init layer (`/etc/hosts`, ...) is not part of it.

use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;

use super::changes::{self, ChangeKind, INIT_TAR_NAMES};
use super::path::go_split;
use super::walk::TarWalker;
use crate::error::{Error, Result};
use crate::fsutil::open_dir;

/// Writes the layer tar of the overlay upper directory `upper`.
pub fn overlay(upper: &Path, out: &mut dyn Write) -> Result<()> {
    let dir = std::fs::File::open(upper).map_err(|e| Error::at("open", upper, e))?;
    let mut w = TarWalker::for_layer(out, &INIT_TAR_NAMES);
    w.children(dir, "")?;
    w.finish()
}

/// Writes the layer tar that turns the tree `old` (none: empty) into the tree `new`.
pub fn naive(old: Option<&Path>, new: &Path, out: &mut dyn Write) -> Result<()> {
    let mut list = changes::compare(old, new)?;
    list.sort_by(|a, b| a.path.cmp(&b.path));
    let mut w = TarWalker::for_layer(out, &INIT_TAR_NAMES);
    for c in list {
        let rel = &c.path[1..];
        if c.kind == ChangeKind::Delete {
            w.whiteout(rel)?;
            continue;
        }
        let (dir, name) = go_split(rel);
        let parent_path = new.join(dir);
        let parent = open_dir(&parent_path).map_err(|e| Error::at("open", &parent_path, e))?;
        w.entry(parent.as_fd(), name.as_bytes(), rel, false)?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_whiteouts_become_wh_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let up = dir.path();
        std::fs::create_dir_all(up.join("etc")).expect("mkdir");
        std::fs::write(up.join("etc/new"), "x").expect("write");
        std::fs::write(up.join("etc/hosts"), "").expect("write");
        std::fs::write(up.join("etc/hostname"), "").expect("write");
        std::fs::write(up.join("etc/resolv.conf"), "").expect("write");
        std::fs::create_dir(up.join("newdir")).expect("mkdir");
        let whiteout = crate::fsutil::make_whiteout(&up.join("etc/gone"));
        let mut out = Vec::new();
        overlay(up, &mut out).expect("tar");
        let mut a = tar::Archive::new(out.as_slice());
        let mut names = Vec::new();
        for e in a.entries().expect("entries") {
            let e = e.expect("entry");
            e.header().uid().expect("uid");
            e.header().mtime().expect("mtime");
            names.push(String::from_utf8_lossy(&e.path_bytes()).into_owned());
        }
        let mut want = vec!["etc/", "etc/.wh.gone", "etc/new", "newdir/"];
        if whiteout.is_err() {
            want.remove(1);
        }
        assert_eq!(names, want);
        let layer = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(layer.path().join("diff")).expect("mkdir");
        crate::apply::apply_layer(
            &mut out.as_slice(),
            layer.path(),
            crate::driver::DriverKind::Overlay2.whiteouts(),
        )
        .expect("the layer tar applies");
        let (mut r, mut w) = std::io::pipe().expect("pipe");
        let upper = up.to_path_buf();
        let t = std::thread::spawn(move || overlay(&upper, &mut w));
        let layer2 = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(layer2.path().join("diff")).expect("mkdir");
        crate::apply::apply_layer(
            &mut r,
            layer2.path(),
            crate::driver::DriverKind::Overlay2.whiteouts(),
        )
        .expect("the piped layer tar applies");
        t.join().expect("join").expect("written");
    }
}

//! The container's writable layer, under `<container dir>/rootfs/`.
//!
//! - `overlay2`: `diff/` (upper) and `work/` are made at create; `merged/` is an overlay mount of
//!   the image's layer directories (lower, top first) under `diff/`, made at start and removed
//!   when the run ends.
//! - `vfs`: `merged/` is a plain copy of the image's top layer directory (which, with vfs, holds
//!   the whole tree), made at create; nothing is mounted.
//!
//! Mounts happen in the daemon's mount namespace (the host's), only under the data root, and
//! are always detached lazily, so a process still holding one never makes a removal fail.

use std::io;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};

/// The directory that holds the writable layer.
const ROOTFS: &str = "rootfs";

/// The root filesystem runc gets: `<dir>/rootfs/merged`.
pub(crate) fn merged(dir: &Path) -> PathBuf {
    dir.join(ROOTFS).join("merged")
}

/// The overlay upper directory (overlay2): the container's own changes.
pub(crate) fn upper(dir: &Path) -> PathBuf {
    dir.join(ROOTFS).join("diff")
}

fn is_overlay(driver: &str) -> bool {
    driver == "overlay2"
}

/// Creates the writable layer at create time.
pub(crate) fn prepare(driver: &str, dir: &Path, layer_dirs: &[PathBuf]) -> io::Result<()> {
    let root = dir.join(ROOTFS);
    if is_overlay(driver) {
        for d in ["diff", "work", "merged", "empty"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        return Ok(());
    }
    let target = merged(dir);
    match layer_dirs.first() {
        None => std::fs::create_dir_all(&target),
        Some(top) => {
            std::fs::create_dir_all(&root)?;
            // `cp -a` keeps owners, modes, times, links, devices and xattrs, which a vfs layer
            // (a full tree) may all have.
            let out = std::process::Command::new("cp")
                .arg("-a")
                .arg(top)
                .arg(&target)
                .stdin(std::process::Stdio::null())
                .output()?;
            if out.status.success() {
                Ok(())
            } else {
                Err(io::Error::other(format!(
                    "copying {} to {}: {}",
                    top.display(),
                    target.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
        }
    }
}

/// Mounts the overlay for a run (nothing for vfs); returns whether something was mounted.
pub(crate) fn mount(driver: &str, dir: &Path, layer_dirs: &[PathBuf]) -> io::Result<bool> {
    if !is_overlay(driver) {
        return Ok(false);
    }
    let root = dir.join(ROOTFS);
    let target = merged(dir);
    // A mount left by a daemon that died goes first; overlay refuses to stack on itself.
    unmount(dir)?;
    if let Some(missing) = layer_dirs.iter().find(|d| !d.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "image layer {} is gone: was the image removed?",
                missing.display()
            ),
        ));
    }
    let lower = if layer_dirs.is_empty() {
        root.join("empty").display().to_string()
    } else {
        let parts: Vec<String> = layer_dirs.iter().map(|d| d.display().to_string()).collect();
        parts.join(":")
    };
    let data = format!(
        "lowerdir={lower},upperdir={},workdir={}",
        root.join("diff").display(),
        root.join("work").display()
    );
    nix::mount::mount(
        Some("overlay"),
        &target,
        Some("overlay"),
        MsFlags::empty(),
        Some(data.as_str()),
    )
    .map_err(|e| io::Error::other(format!("mounting the overlay on {}: {e}", target.display())))?;
    Ok(true)
}

/// Unmounts the overlay if it is mounted (lazily).
pub(crate) fn unmount(dir: &Path) -> io::Result<()> {
    lazy_unmount(&merged(dir))
}

/// Detaches whatever is mounted on `path`; nothing mounted (or no such path) is fine.
pub(crate) fn lazy_unmount(path: &Path) -> io::Result<()> {
    match nix::mount::umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL | nix::errno::Errno::ENOENT) => Ok(()),
        Err(e) => Err(io::Error::other(format!(
            "unmounting {}: {e}",
            path.display()
        ))),
    }
}

/// The paths `GraphDriver.Data` shows.
pub(crate) fn driver_data(
    driver: &str,
    dir: &Path,
    layer_dirs: &[PathBuf],
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    if is_overlay(driver) {
        let root = dir.join(ROOTFS);
        let lower: Vec<String> = layer_dirs.iter().map(|d| d.display().to_string()).collect();
        out.insert("LowerDir".to_owned(), lower.join(":"));
        out.insert("MergedDir".to_owned(), merged(dir).display().to_string());
        out.insert(
            "UpperDir".to_owned(),
            root.join("diff").display().to_string(),
        );
        out.insert(
            "WorkDir".to_owned(),
            root.join("work").display().to_string(),
        );
    }
    out
}

//! A faithful copy of a directory tree (for the vfs driver, where each layer is a full copy of
//! its parent): hard links, symlinks, devices, owners, modes, xattrs and times are kept.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;

use nix::sys::stat::SFlag;

use super::{chmod, get_xattr, lchown, list_xattrs, lutimes, make_node, set_xattr};
use crate::error::{IoContext, Result};

/// Copies the contents of directory `src` into the existing directory `dst`, and `src`'s
/// owner, mode and times onto `dst` (what the vfs driver does per layer, and what a volume
/// gets of the image's directory at its mount point).
pub fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    let mut links: HashMap<(u64, u64), std::path::PathBuf> = HashMap::new();
    let mut dirs = Vec::new();
    copy_dir_contents(src, dst, &mut links, &mut dirs)?;
    copy_meta(src, dst, &fs::symlink_metadata(src).at("stat", src)?)?;
    // Directory times last: creating entries inside a directory changes its mtime.
    for (d, m) in dirs.iter().rev() {
        lutimes(
            d,
            (m.atime(), m.atime_nsec() as u32),
            (m.mtime(), m.mtime_nsec() as u32),
        )
        .at("set times on", d)?;
    }
    let m = fs::symlink_metadata(src).at("stat", src)?;
    lutimes(
        dst,
        (m.atime(), m.atime_nsec() as u32),
        (m.mtime(), m.mtime_nsec() as u32),
    )
    .at("set times on", dst)?;
    Ok(())
}

fn copy_dir_contents(
    src: &Path,
    dst: &Path,
    links: &mut HashMap<(u64, u64), std::path::PathBuf>,
    dirs: &mut Vec<(std::path::PathBuf, fs::Metadata)>,
) -> Result<()> {
    for entry in fs::read_dir(src).at("read directory", src)? {
        let entry = entry.at("read directory", src)?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let m = fs::symlink_metadata(&from).at("stat", &from)?;
        let ft = m.file_type();
        if ft.is_dir() {
            fs::create_dir(&to).at("create directory", &to)?;
            copy_dir_contents(&from, &to, links, dirs)?;
            copy_meta(&from, &to, &m)?;
            dirs.push((to, m));
            continue;
        }
        if m.nlink() > 1 {
            if let Some(first) = links.get(&(m.dev(), m.ino())) {
                fs::hard_link(first, &to).at("hard link", &to)?;
                continue;
            }
            links.insert((m.dev(), m.ino()), to.clone());
        }
        if ft.is_symlink() {
            let target = fs::read_link(&from).at("read link", &from)?;
            symlink(&target, &to).at("create symlink", &to)?;
        } else if ft.is_file() {
            fs::copy(&from, &to).at("copy file to", &to)?;
        } else {
            let kind = SFlag::from_bits_truncate(m.mode() & SFlag::S_IFMT.bits());
            let rdev = m.rdev();
            make_node(
                &to,
                kind,
                m.mode(),
                nix::sys::stat::major(rdev),
                nix::sys::stat::minor(rdev),
            )
            .at("create node", &to)?;
        }
        copy_meta(&from, &to, &m)?;
        lutimes(
            &to,
            (m.atime(), m.atime_nsec() as u32),
            (m.mtime(), m.mtime_nsec() as u32),
        )
        .at("set times on", &to)?;
    }
    Ok(())
}

/// Owner, xattrs, then mode (chown clears setuid bits, so mode comes last).
fn copy_meta(from: &Path, to: &Path, m: &fs::Metadata) -> Result<()> {
    lchown(to, m.uid(), m.gid()).at("chown", to)?;
    for name in list_xattrs(from).at("list xattrs of", from)? {
        if let Some(v) = get_xattr(from, &name).at("read xattr of", from)? {
            // Some xattrs cannot be copied everywhere (e.g. security.* under LSMs); the
            // content of the layer is what matters.
            if let Err(e) = set_xattr(to, &name, &v) {
                tracing::debug!(path = %to.display(), error = %e, "xattr not copied");
            }
        }
    }
    if !m.file_type().is_symlink() {
        chmod(to, m.mode()).at("chmod", to)?;
    }
    Ok(())
}

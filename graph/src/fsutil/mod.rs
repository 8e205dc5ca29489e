//! Small filesystem helpers: owners, times, device nodes, xattrs, tree copies.

mod at;
mod copy;
mod xattr;

pub(crate) use at::{
    chmod_at, create_file, fchmod, fchown, futimes, is_dir_at, lchown_at, lutimes_at, open_dir,
};
pub use copy::copy_tree;
pub(crate) use xattr::{get_xattr, list_xattrs, set_xattr};

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use nix::fcntl::AT_FDCWD;
use nix::fcntl::AtFlags;
use nix::sys::stat::{Mode, SFlag, UtimensatFlags, makedev, mknod, utimensat};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchownat};

/// Sets owner without following a final symlink.
pub(crate) fn lchown(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    fchownat(
        AT_FDCWD,
        path,
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(io::Error::from)
}

/// Sets permission bits (including setuid/setgid/sticky); follows symlinks, so never call it on
/// one.
pub(crate) fn chmod(path: &Path, mode: u32) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o7777))
}

/// Sets access and modification times without following a final symlink.
pub(crate) fn lutimes(path: &Path, atime: (i64, u32), mtime: (i64, u32)) -> io::Result<()> {
    let ts = |(s, n): (i64, u32)| TimeSpec::new(s, i64::from(n));
    utimensat(
        AT_FDCWD,
        path,
        &ts(atime),
        &ts(mtime),
        UtimensatFlags::NoFollowSymlink,
    )
    .map_err(io::Error::from)
}

/// Creates a character or block device node, or a FIFO.
pub(crate) fn make_node(
    path: &Path,
    kind: SFlag,
    mode: u32,
    major: u64,
    minor: u64,
) -> io::Result<()> {
    mknod(
        path,
        kind,
        Mode::from_bits_truncate(mode & 0o7777),
        makedev(major, minor),
    )
    .map_err(io::Error::from)
}

/// Creates overlayfs's whiteout: a character device 0/0.
pub(crate) fn make_whiteout(path: &Path) -> io::Result<()> {
    make_node(path, SFlag::S_IFCHR, 0, 0, 0)
}

/// Removes whatever is at `path` (file, symlink, device or whole directory tree), never
/// following symlinks. Missing is fine.
pub(crate) fn remove_all(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

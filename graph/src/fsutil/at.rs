//! The same helpers relative to a directory descriptor (`*at` calls), or on an open file.
//!
//! Extracting a layer makes thousands of entries under one directory: naming them relative
//! to that directory's descriptor spares the kernel walking its own path again for each call,
//! and setting a new file's owner, mode and times through its descriptor spares three more
//! lookups.

use std::fs::File;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::Path;

use nix::fcntl::{AtFlags, OFlag, open, openat};
use nix::sys::stat::{
    FchmodatFlags, Mode, SFlag, UtimensatFlags, fchmodat, fstatat, futimens, utimensat,
};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchownat};

/// Opens a directory for `*at` calls relative to it (`O_PATH`: no read access needed).
pub(crate) fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    open(
        path,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io::Error::from)
}

/// Creates the regular file `rel` under `dir` for writing with permission bits `mode` (less
/// the umask), refusing to follow or replace anything already there (`O_EXCL | O_NOFOLLOW`).
pub(crate) fn create_file(dir: BorrowedFd<'_>, rel: &[u8], mode: u32) -> io::Result<File> {
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    openat(dir, rel, flags, Mode::from_bits_truncate(mode & 0o777))
        .map(File::from)
        .map_err(io::Error::from)
}

/// True if `rel` under `dir` is a directory (not a symlink to one).
pub(crate) fn is_dir_at(dir: BorrowedFd<'_>, rel: &[u8]) -> bool {
    fstatat(dir, rel, AtFlags::AT_SYMLINK_NOFOLLOW)
        .is_ok_and(|st| SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR)
}

/// [`super::lchown`] of `rel` under `dir`.
pub(crate) fn lchown_at(dir: BorrowedFd<'_>, rel: &[u8], uid: u32, gid: u32) -> io::Result<()> {
    fchownat(
        dir,
        rel,
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(io::Error::from)
}

/// [`super::chmod`] of `rel` under `dir`; follows a final symlink, so never call it on one.
pub(crate) fn chmod_at(dir: BorrowedFd<'_>, rel: &[u8], mode: u32) -> io::Result<()> {
    fchmodat(
        dir,
        rel,
        Mode::from_bits_truncate(mode & 0o7777),
        FchmodatFlags::FollowSymlink,
    )
    .map_err(io::Error::from)
}

/// [`super::lutimes`] of `rel` under `dir`.
pub(crate) fn lutimes_at(
    dir: BorrowedFd<'_>,
    rel: &[u8],
    atime: (i64, u32),
    mtime: (i64, u32),
) -> io::Result<()> {
    let ts = |(s, n): (i64, u32)| TimeSpec::new(s, i64::from(n));
    utimensat(
        dir,
        rel,
        &ts(atime),
        &ts(mtime),
        UtimensatFlags::NoFollowSymlink,
    )
    .map_err(io::Error::from)
}

/// Sets the owner of an open file.
pub(crate) fn fchown(f: &File, uid: u32, gid: u32) -> io::Result<()> {
    nix::unistd::fchown(f, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))
        .map_err(io::Error::from)
}

/// Sets the permission bits (including setuid/setgid/sticky) of an open file.
pub(crate) fn fchmod(f: &File, mode: u32) -> io::Result<()> {
    nix::sys::stat::fchmod(f, Mode::from_bits_truncate(mode & 0o7777)).map_err(io::Error::from)
}

/// Sets access and modification times of an open file.
pub(crate) fn futimes(f: &File, atime: (i64, u32), mtime: (i64, u32)) -> io::Result<()> {
    let ts = |(s, n): (i64, u32)| TimeSpec::new(s, i64::from(n));
    futimens(f, &ts(atime), &ts(mtime)).map_err(io::Error::from)
}

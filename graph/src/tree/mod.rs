//! A container's root filesystem seen from outside, as dockerd's `docker cp`, `docker export`,
//! `docker diff` and `docker commit` see it: stat, archive and extract a path ([`Root`]), the
//! whole tree as a tar, the changes of a writable layer ([`changes`]) and its layer tar
//! ([`layer_tar`]).
//!
//! dockerd does this work chrooted into the container's root. Here every path a client names is
//! resolved by the kernel inside the root with `openat2(RESOLVE_IN_ROOT)`: symbolic links
//! (absolute ones included) and `..` never leave it, also while a running container changes its
//! tree. What lies below a resolved directory is then reached only with `*at` calls that do not
//! follow a final symbolic link, and new entries are created with `O_EXCL`, never through what
//! is there.

pub mod changes;
pub(crate) mod layer_tar;
mod path;
mod stat;
mod tarball;
mod untar;
mod walk;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat2};

use crate::error::{Error, IoContext, Result};
use crate::fsutil::open_dir;

pub use path::{container_path, go_base};
pub use stat::PathStat;
pub use untar::ExtractOptions;

/// A directory tree opened as the root every path is resolved in.
pub struct Root {
    fd: OwnedFd,
    /// The canonical host path of the root, to tell a resolved path inside it.
    path: PathBuf,
}

impl Root {
    /// Opens `path` (a container's mounted root filesystem) as a root.
    pub fn open(path: &Path) -> Result<Root> {
        let path = std::fs::canonicalize(path).at("resolve", path)?;
        let fd = open_dir(&path).at("open", &path)?;
        Ok(Root { fd, path })
    }

    /// Opens `abs` (a path inside the root; absolute or not, `..` and links stay inside)
    /// with `flags`, following a final symbolic link.
    pub(crate) fn open_in(&self, abs: &str, flags: OFlag) -> io::Result<OwnedFd> {
        // openat2 refuses any flag beside O_PATH but O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC.
        let extra = if flags.contains(OFlag::O_PATH) {
            OFlag::O_CLOEXEC
        } else {
            OFlag::O_CLOEXEC | OFlag::O_NOCTTY
        };
        let how = OpenHow::new()
            .flags(flags | extra)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        let rel = if abs.is_empty() { "/" } else { abs };
        // EAGAIN: a rename raced the resolution of a `..`; the kernel asks to try again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match openat2(&self.fd, rel, how) {
                Err(Errno::EAGAIN) if attempts < 16 => continue,
                Err(Errno::ENOSYS) => {
                    return Err(io::Error::other(
                        "resolving a path inside a container's root needs openat2 (Linux 5.6)",
                    ));
                }
                Err(e) => return Err(go_errno(e)),
                Ok(fd) => return Ok(fd),
            }
        }
    }

    /// `open_in` for callers outside the crate (a bind's mount point): `abs` resolved inside
    /// the root, a final link followed.
    pub fn open_fd(&self, abs: &str, flags: OFlag) -> io::Result<OwnedFd> {
        self.open_in(abs, flags)
    }

    /// The directory `abs` names, opened for `*at` calls (`O_PATH`).
    pub(crate) fn open_dir_in(&self, abs: &str) -> io::Result<OwnedFd> {
        self.open_in(abs, OFlag::O_PATH | OFlag::O_DIRECTORY)
    }

    /// The path inside the root of what `fd` (opened inside it) is: `/` for the root.
    pub(crate) fn path_of(&self, fd: &OwnedFd) -> Result<String> {
        let link = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        let host = std::fs::read_link(&link).at("read", &link)?;
        let rel = host.strip_prefix(&self.path).map_err(|_| {
            Error::io(
                format!("resolve {}", host.display()),
                io::Error::other("the path left the container's root"),
            )
        })?;
        Ok(format!("/{}", rel.display()))
    }

    /// The whole tree as a tar, entries named relative to the root (`bin/`, `bin/sh`), as
    /// `docker export` writes it.
    pub fn export(&self, out: &mut dyn io::Write) -> Result<()> {
        let dir = self
            .open_in("/", OFlag::O_RDONLY | OFlag::O_DIRECTORY)
            .map_err(|e| Error::io("open /", e))?;
        let mut w = walk::TarWalker::new(out);
        w.children(File::from(dir), "")?;
        w.finish()
    }
}

/// An `Errno` as an `io::Error` whose text is Go's (`not a directory`), so that messages read
/// as dockerd's (`lstat /etc/passwd/x: not a directory`).
pub(crate) fn go_errno(e: Errno) -> io::Error {
    let text = e.desc();
    let mut chars = text.chars();
    let lower = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    io::Error::new(io::Error::from(e).kind(), lower)
}

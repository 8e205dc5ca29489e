//! `HEAD /containers/{id}/archive`: what a path in the container is (moby's
//! `ContainerPathStat`, from an `lstat` in the container's root).

use std::os::fd::AsFd;

use jiff::Timestamp;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{FileStat, SFlag, fstat, fstatat};

use super::path::{go_base, go_split};
use super::{Root, go_errno};
use crate::error::{Error, Result};

/// Go's `os.FileMode` type bits.
const GO_DIR: u32 = 1 << 31;
const GO_SYMLINK: u32 = 1 << 27;
const GO_DEVICE: u32 = 1 << 26;
const GO_NAMED_PIPE: u32 = 1 << 25;
const GO_SOCKET: u32 = 1 << 24;
const GO_SETUID: u32 = 1 << 23;
const GO_SETGID: u32 = 1 << 22;
const GO_CHAR_DEVICE: u32 = 1 << 21;
const GO_STICKY: u32 = 1 << 20;

/// What `lstat` says of a path in the container, as dockerd reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    /// The last element of the path as asked (`.` for `/dir/.`).
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Go's `os.FileMode`: permission bits, then type and special bits high.
    pub mode: u32,
    /// Modification time.
    pub mtime: Timestamp,
    /// For a symbolic link, where it leads, resolved inside the container (`/bin/busybox`).
    pub link_target: String,
}

impl PathStat {
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & GO_DIR != 0
    }

    /// True for a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.mode & GO_SYMLINK != 0
    }
}

/// Go's `os.FileMode` of a `stat` mode.
pub(crate) fn go_mode(st_mode: u32) -> u32 {
    let mut m = st_mode & 0o777;
    let kind = SFlag::from_bits_truncate(st_mode) & SFlag::S_IFMT;
    m |= match kind {
        SFlag::S_IFDIR => GO_DIR,
        SFlag::S_IFLNK => GO_SYMLINK,
        SFlag::S_IFBLK => GO_DEVICE,
        SFlag::S_IFCHR => GO_DEVICE | GO_CHAR_DEVICE,
        SFlag::S_IFIFO => GO_NAMED_PIPE,
        SFlag::S_IFSOCK => GO_SOCKET,
        _ => 0,
    };
    for (bit, go) in [
        (0o4000, GO_SETUID),
        (0o2000, GO_SETGID),
        (0o1000, GO_STICKY),
    ] {
        if st_mode & bit != 0 {
            m |= go;
        }
    }
    m
}

impl Root {
    /// `lstat` of `abs` (a path from [`super::container_path`]) inside the root, as dockerd's
    /// `containerFSView.Stat`: the last element is not followed unless the path ends in `/` or
    /// `/.`; a symbolic link's target is resolved inside the root. A missing path is an
    /// `Error::Io` whose source is `NotFound`.
    pub fn stat(&self, abs: &str) -> Result<PathStat> {
        let fail = |e: nix::Error| Error::io(format!("lstat {abs}"), go_errno(e));
        let io_fail = |e: std::io::Error| Error::io(format!("lstat {abs}"), e);
        let (dir, base) = go_split(abs);
        let st: FileStat = if base.is_empty() || base == "." || base == ".." {
            let fd = self.open_in(abs, OFlag::O_PATH).map_err(io_fail)?;
            fstat(fd.as_fd()).map_err(fail)?
        } else {
            let parent = self.open_dir_in(dir).map_err(io_fail)?;
            fstatat(parent.as_fd(), base, AtFlags::AT_SYMLINK_NOFOLLOW).map_err(fail)?
        };
        let mode = go_mode(st.st_mode);
        let link_target = if mode & GO_SYMLINK != 0 {
            let fd = self.open_in(abs, OFlag::O_PATH).map_err(io_fail)?;
            self.path_of(&fd)?
        } else {
            String::new()
        };
        let mtime = Timestamp::new(st.st_mtime, st.st_mtime_nsec as i32).unwrap_or_default();
        Ok(PathStat {
            name: go_base(abs).to_owned(),
            size: st.st_size,
            mode,
            mtime,
            link_target,
        })
    }
}

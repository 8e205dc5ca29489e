//! `PUT /containers/{id}/archive`: a tar extracted into a directory of the container, as
//! moby's `archive.Unpack` does it for `docker cp` (chrooted there; here inside the root).
//!
//! As in dockerd, an entry's path is cleaned and must stay below the destination (else
//! `"x" is outside of "/dest"`), a relative symbolic link or a hard link may not point above
//! it, what is in the way is removed (unless a directory meets a directory: they merge), and
//! missing parents are created `0755`, owned by root. Parents are resolved inside the root, so a
//! link the tar made (`evil -> /`, then `evil/etc/passwd`) leads to the container's own `/`,
//! never the host's: the same place dockerd's chroot leads to. The entry itself is created
//! relative to its parent's descriptor, with `O_EXCL`/`O_NOFOLLOW` semantics, and its owner,
//! mode and times are set through what was created.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{
    FchmodatFlags, Mode, SFlag, fchmodat, fstat, fstatat, makedev, mkdirat, mknodat,
};
use nix::unistd::{LinkatFlags, linkat, symlinkat};

use super::path::go_split;
use super::{Root, go_errno};
use crate::apply::resolve;
use crate::compress::{decoder, sniff};
use crate::error::{Error, Result};
use crate::fsutil::{create_file, fchmod, fchown, futimes, lchown_at, lutimes_at, remove_all};

/// How an archive is extracted (the part of moby's `TarOptions` `docker cp` uses).
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Refuse to replace a directory with a non-directory and the other way round.
    pub no_overwrite_dir_non_dir: bool,
    /// Owner of every entry instead of the tar's (`copyUIDGID` with a container user).
    pub chown: Option<(u32, u32)>,
}

fn nix_err(what: String) -> impl FnOnce(Errno) -> Error {
    move |e| Error::io(what, go_errno(e))
}

fn io_err(what: String) -> impl FnOnce(io::Error) -> Error {
    move |e| Error::io(what, e)
}

fn is_dir(st: &nix::sys::stat::FileStat) -> bool {
    SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR
}

/// `dest` + `/` + `rel`, for messages and resolution.
fn join(dest: &str, rel: &str) -> String {
    match (dest.trim_end_matches('/'), rel) {
        (d, "") => {
            if d.is_empty() {
                "/".into()
            } else {
                d.into()
            }
        }
        (d, r) => format!("{d}/{r}"),
    }
}

impl Root {
    /// The directory an archive for `abs` is extracted into: `abs` with every link followed
    /// (the last too, so that a link to a directory works), as a path inside the root. A path
    /// that exists but is no directory is `BadInput` ("extraction point is not a directory").
    pub fn extract_dir(&self, abs: &str) -> Result<String> {
        let fd = self
            .open_in(abs, OFlag::O_PATH)
            .map_err(io_err(format!("lstat {abs}")))?;
        let st = fstat(fd.as_fd()).map_err(nix_err(format!("lstat {abs}")))?;
        if !is_dir(&st) {
            return Err(Error::bad("extraction point is not a directory"));
        }
        self.path_of(&fd)
    }

    /// Extracts the (possibly compressed) tar `input` into `dest` (from [`Root::extract_dir`]).
    pub fn extract(&self, dest: &str, input: &mut dyn Read, opts: &ExtractOptions) -> Result<()> {
        let (kind, whole) = sniff(Box::new(input))?;
        let plain = decoder(kind, whole)?;
        let mut archive = tar::Archive::new(plain);
        let bad = |e: io::Error| Error::io("read tar", e);
        let mut dirs: Vec<(String, u64)> = Vec::new();
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let kind = entry.header().entry_type();
            if kind == tar::EntryType::XGlobalHeader {
                continue;
            }
            let raw = entry.path_bytes().into_owned();
            let shown = String::from_utf8_lossy(&raw).into_owned();
            let trimmed: &[u8] = match raw.iter().position(|b| *b != b'/') {
                Some(i) => &raw[i..],
                None => b"",
            };
            let rel = resolve(&[], trimmed)
                .ok_or_else(|| Error::bad(format!("{shown:?} is outside of {dest:?}")))?;
            let rel = String::from_utf8_lossy(&rel).into_owned();
            let mtime = entry.header().mtime().unwrap_or(0);
            if self.put(dest, &rel, &mut entry, opts)? && kind == tar::EntryType::Directory {
                dirs.push((join(dest, &rel), mtime));
            }
        }
        // Directory times last: creating entries in them changed their times.
        for (path, mtime) in dirs {
            if let Ok(fd) = self.open_in(&path, OFlag::O_RDONLY | OFlag::O_DIRECTORY) {
                let t = (i64::try_from(mtime).unwrap_or(0), 0);
                futimes(&File::from(fd), t, t).map_err(io_err(format!("chtimes {path}")))?;
            }
        }
        Ok(())
    }

    /// The parent directory of `rel` below `dest`, created (`0755`, root) if missing.
    fn parent_of(&self, dest: &str, rel: &str) -> Result<OwnedFd> {
        let (dir, _) = go_split(rel);
        let path = join(dest, dir.trim_end_matches('/'));
        match self.open_dir_in(&path) {
            Ok(fd) => Ok(fd),
            Err(e) if e.kind() == io::ErrorKind::NotFound && !dir.is_empty() => {
                let (up, name) = go_split(dir.trim_end_matches('/'));
                let parent = self.parent_of(dest, &format!("{up}{name}"))?;
                match mkdirat(parent.as_fd(), name, Mode::from_bits_truncate(0o755)) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(nix_err(format!("mkdir {path}"))(e)),
                }
                let _ = lchown_at(parent.as_fd(), name.as_bytes(), 0, 0);
                self.open_dir_in(&path)
                    .map_err(io_err(format!("open {path}")))
            }
            Err(e) => Err(Error::io(format!("open {path}"), e)),
        }
    }

    /// Creates one entry; true if it was a directory that stays (its time is set at the end).
    fn put(
        &self,
        dest: &str,
        rel: &str,
        entry: &mut tar::Entry<'_, impl Read>,
        opts: &ExtractOptions,
    ) -> Result<bool> {
        let kind = entry.header().entry_type();
        let path = join(dest, rel);
        if rel.is_empty() {
            // The destination itself: dockerd keeps the directory that is there.
            return Ok(false);
        }
        let parent = self.parent_of(dest, rel)?;
        let dir = parent.as_fd();
        let (_, name) = go_split(rel);
        let name = name.as_bytes();
        let is_dir_entry = kind == tar::EntryType::Directory;
        if let Ok(st) = fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            if opts.no_overwrite_dir_non_dir && is_dir(&st) && !is_dir_entry {
                return Err(Error::bad(format!(
                    "cannot overwrite directory {path:?} with non-directory {dest:?}"
                )));
            }
            if opts.no_overwrite_dir_non_dir && !is_dir(&st) && is_dir_entry {
                return Err(Error::bad(format!(
                    "cannot overwrite non-directory {path:?} with directory {dest:?}"
                )));
            }
            if !(is_dir(&st) && is_dir_entry) {
                let at = PathBuf::from(format!(
                    "/proc/self/fd/{}/{}",
                    std::os::fd::AsRawFd::as_raw_fd(&parent),
                    String::from_utf8_lossy(name)
                ));
                remove_all(&at).map_err(io_err(format!("remove {path}")))?;
            }
        }
        let h = entry.header().clone();
        let mode = h.mode().unwrap_or(0o644) & 0o7777;
        let (uid, gid) = opts.chown.unwrap_or((
            u32::try_from(h.uid().unwrap_or(0)).unwrap_or(0),
            u32::try_from(h.gid().unwrap_or(0)).unwrap_or(0),
        ));
        let mtime = (i64::try_from(h.mtime().unwrap_or(0)).unwrap_or(0), 0);
        let link = entry.link_name_bytes().map(|l| l.into_owned());
        let xattrs = pax_xattrs(entry);
        match kind {
            tar::EntryType::Directory => {
                match mkdirat(dir, name, Mode::from_bits_truncate(mode)) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(nix_err(format!("mkdir {path}"))(e)),
                }
                let d = openat(
                    dir,
                    name,
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
                .map(File::from)
                .map_err(nix_err(format!("open {path}")))?;
                owner_and_mode(&d, uid, gid, mode, &path)?;
                set_xattrs(&d, &xattrs, &path)?;
                Ok(true)
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut f = create_file(dir, name, mode).map_err(io_err(format!("open {path}")))?;
                io::copy(entry, &mut f).map_err(io_err(format!("write {path}")))?;
                owner_and_mode(&f, uid, gid, mode, &path)?;
                set_xattrs(&f, &xattrs, &path)?;
                futimes(&f, mtime, mtime).map_err(io_err(format!("chtimes {path}")))?;
                Ok(false)
            }
            tar::EntryType::Symlink => {
                let target = link.unwrap_or_default();
                let (base, _) = go_split(rel);
                let inside = if target.first() == Some(&b'/') {
                    true
                } else {
                    resolve(base.as_bytes(), &target).is_some()
                };
                if !inside {
                    return Err(Error::bad(format!(
                        "invalid symlink {path:?} -> {:?}",
                        String::from_utf8_lossy(&target)
                    )));
                }
                symlinkat(target.as_slice(), dir, name)
                    .map_err(nix_err(format!("symlink {path}")))?;
                lchown_at(dir, name, uid, gid).map_err(io_err(format!("lchown {path}")))?;
                lutimes_at(dir, name, mtime, mtime).map_err(io_err(format!("chtimes {path}")))?;
                Ok(false)
            }
            tar::EntryType::Link => {
                let target = link.unwrap_or_default();
                let shown = String::from_utf8_lossy(&target).into_owned();
                let trimmed: &[u8] = match target.iter().position(|b| *b != b'/') {
                    Some(i) => &target[i..],
                    None => b"",
                };
                let old = resolve(&[], trimmed)
                    .filter(|o| !o.is_empty())
                    .ok_or_else(|| {
                        Error::bad(format!(
                            "invalid hardlink {:?} -> {shown:?}",
                            join(dest, &shown)
                        ))
                    })?;
                let old = String::from_utf8_lossy(&old).into_owned();
                let old_parent = self.parent_of(dest, &old)?;
                let (_, old_name) = go_split(&old);
                linkat(
                    old_parent.as_fd(),
                    old_name,
                    dir,
                    name,
                    LinkatFlags::empty(),
                )
                .map_err(nix_err(format!("link {} {path}", join(dest, &old))))?;
                Ok(false)
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let sflag = match kind {
                    tar::EntryType::Char => SFlag::S_IFCHR,
                    tar::EntryType::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                let dev = makedev(
                    u64::from(h.device_major().ok().flatten().unwrap_or(0)),
                    u64::from(h.device_minor().ok().flatten().unwrap_or(0)),
                );
                mknodat(dir, name, sflag, Mode::from_bits_truncate(mode), dev)
                    .map_err(nix_err(format!("mknod {path}")))?;
                lchown_at(dir, name, uid, gid).map_err(io_err(format!("lchown {path}")))?;
                // Never follows: what was just made is no link, and a link put there since
                // is left alone.
                let _ = fchmodat(
                    dir,
                    name,
                    Mode::from_bits_truncate(mode),
                    FchmodatFlags::NoFollowSymlink,
                );
                lutimes_at(dir, name, mtime, mtime).map_err(io_err(format!("chtimes {path}")))?;
                Ok(false)
            }
            other => Err(Error::bad(format!(
                "unhandled tar header type {}",
                other.as_byte()
            ))),
        }
    }
}

/// The `SCHILY.xattr.*` records of an entry's PAX header.
fn pax_xattrs(entry: &mut tar::Entry<'_, impl Read>) -> Vec<(String, Vec<u8>)> {
    let Ok(Some(exts)) = entry.pax_extensions() else {
        return Vec::new();
    };
    exts.flatten()
        .filter_map(|e| {
            let key = e.key().ok()?.strip_prefix("SCHILY.xattr.")?.to_owned();
            Some((key, e.value_bytes().to_vec()))
        })
        .collect()
}

/// Sets the extended attributes on the created entry, as moby does (after its owner: a change
/// of owner drops `security.capability`).
fn set_xattrs(f: &File, xattrs: &[(String, Vec<u8>)], path: &str) -> Result<()> {
    for (k, v) in xattrs {
        xattr::FileExt::set_xattr(f, k, v).map_err(io_err(format!("lsetxattr {k} {path}")))?;
    }
    Ok(())
}

/// Owner, then mode (a change of owner clears set-user-ID bits), through the open entry.
fn owner_and_mode(f: &File, uid: u32, gid: u32, mode: u32, path: &str) -> Result<()> {
    fchown(f, uid, gid).map_err(io_err(format!("lchown {path}")))?;
    fchmod(f, mode).map_err(io_err(format!("chmod {path}")))
}

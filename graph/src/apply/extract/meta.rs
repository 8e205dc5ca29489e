//! What an entry carries besides its content: owner, mode, extended attributes and times
//! (directory times last, when nothing below them changes any more).

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::path::Path;

use nix::libc;

use super::{Extractor, lossy};
use crate::apply::creator::{ACCESS_ACL, DEFAULT_ACL};
use crate::error::{Error, Result};
use crate::fsutil::{chmod_at, fchmod, fchown, futimes, lchown_at, lutimes_at, set_xattr};
use crate::tarstream::{EntryKind, TarEntry};

/// Seconds and nanoseconds.
pub(super) type Time = (i64, u32);

impl Extractor<'_> {
    /// Whether a new entry `e` is already owned as the tar says and (if `mode_too`) has its
    /// permission bits, so that setting them can be skipped.
    pub(super) fn given(&self, e: &TarEntry, mode_too: bool) -> (bool, bool) {
        let Some(c) = &self.creator else {
            return (false, false);
        };
        let owner = owner(e).is_ok_and(|(uid, gid)| c.owns_as(uid, gid));
        // Setting an access ACL rewrites the mode: it must be set again afterwards.
        let acl = e.xattrs.iter().any(|(k, _)| k.as_slice() == ACCESS_ACL);
        (owner, mode_too && !acl && c.keeps_mode(e.mode))
    }

    /// Stops skipping once the tar makes a directory whose new entries get something else
    /// than the creator gives (set-group-ID, or a default ACL).
    pub(super) fn note_uncertainty(&mut self, e: &TarEntry) {
        let set_gid = e.kind == EntryKind::Dir && e.mode & 0o2000 != 0;
        if set_gid || e.xattrs.iter().any(|(k, _)| k.as_slice() == DEFAULT_ACL) {
            self.creator = None;
        }
    }

    /// [`Self::apply_meta`] for a regular file still open: through its descriptor, which
    /// spares the kernel three path lookups.
    /// `given`: whether owner and mode are already right (see [`Self::given`]).
    pub(super) fn apply_file_meta(
        &mut self,
        rel: &[u8],
        f: &File,
        e: &TarEntry,
        given: (bool, bool),
    ) -> Result<()> {
        let (uid, gid) = owner(e)?;
        let at = |what: &str, err: io::Error| Error::at(what, &self.abs(rel), err);
        if !given.0 {
            fchown(f, uid, gid).map_err(|err| at("chown", err))?;
        }
        if !e.xattrs.is_empty() {
            self.set_xattrs(&self.abs(rel), e)?;
        }
        if !given.1 {
            fchmod(f, e.mode).map_err(|err| at("chmod", err))?;
        }
        let atime = e.atime.map_or(e.mtime, |a| a.max(e.mtime));
        futimes(f, atime, e.mtime).map_err(|err| at("set times on", err))
    }

    /// Owner, xattrs, mode (after chown, which clears setuid) and times; owner and mode only
    /// where they are not `given` already.
    pub(super) fn apply_meta(
        &mut self,
        rel: &[u8],
        e: &TarEntry,
        target_is_symlink: bool,
        given: (bool, bool),
    ) -> Result<()> {
        let (uid, gid) = owner(e)?;
        let dir = self.root_fd.as_fd();
        let at = |what: &str, err: io::Error| Error::at(what, &self.abs(rel), err);
        if !given.0 {
            lchown_at(dir, rel, uid, gid).map_err(|err| at("chown", err))?;
        }
        if !e.xattrs.is_empty() {
            self.set_xattrs(&self.abs(rel), e)?;
        }
        let is_symlink =
            e.kind == EntryKind::Symlink || (e.kind == EntryKind::HardLink && target_is_symlink);
        if !is_symlink && !given.1 {
            chmod_at(dir, rel, e.mode).map_err(|err| at("chmod", err))?;
        }
        let atime = e.atime.map_or(e.mtime, |a| a.max(e.mtime));
        if e.kind == EntryKind::Dir {
            self.dir_times.insert(rel.to_vec(), (atime, e.mtime));
        } else if !(e.kind == EntryKind::HardLink && target_is_symlink) {
            lutimes_at(dir, rel, atime, e.mtime).map_err(|err| at("set times on", err))?;
        }
        Ok(())
    }

    /// Sets the entry's extended attributes on `path` (not following a final symlink).
    fn set_xattrs(&self, path: &Path, e: &TarEntry) -> Result<()> {
        for (k, v) in &e.xattrs {
            if let Err(err) = set_xattr(path, k, v) {
                // As Docker: filesystems without xattr support (or without the privilege for
                // a namespace) lose the attribute rather than fail the layer.
                match err.raw_os_error() {
                    Some(libc::ENOTSUP) | Some(libc::EPERM) => {
                        tracing::debug!(path = %path.display(), xattr = %lossy(k), "xattr not applied");
                    }
                    _ => return Err(Error::at("set xattr on", path, err)),
                }
            }
        }
        Ok(())
    }

    /// Sets directory times and returns the layer's content size.
    ///
    /// This comes last, when nothing else runs beside it (the input is read and hashed): a
    /// layer with many directories has half of them done on a second thread.
    pub(crate) fn finish(mut self) -> Result<u64> {
        let mut rest = std::mem::take(&mut self.dir_times);
        let half = if rest.len() >= DIR_TIMES_SPLIT {
            let mid = rest.keys().nth(rest.len() / 2).cloned();
            mid.map(|k| rest.split_off(&k)).unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        let (this, half) = (&self, &half);
        std::thread::scope(|scope| {
            let other = std::thread::Builder::new()
                .name("graph-dirtimes".to_string())
                .spawn_scoped(scope, move || this.set_dir_times(half));
            let here = this.set_dir_times(&rest);
            let there = match other {
                Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                // No second thread: this one does the other half too.
                Err(_) => this.set_dir_times(half),
            };
            here.and(there)
        })?;
        Ok(self.size)
    }

    fn set_dir_times(&self, times: &BTreeMap<Vec<u8>, (Time, Time)>) -> Result<()> {
        for (rel, (atime, mtime)) in times {
            lutimes_at(self.root_fd.as_fd(), rel, *atime, *mtime)
                .map_err(|err| Error::at("set times on", &self.abs(rel), err))?;
        }
        Ok(())
    }
}

/// Directories from which [`Extractor::finish`] sets times on two threads.
const DIR_TIMES_SPLIT: usize = 512;

/// The entry's owner, as the `u32`s the kernel takes.
pub(super) fn owner(e: &TarEntry) -> Result<(u32, u32)> {
    let uid =
        u32::try_from(e.uid).map_err(|_| Error::bad(format!("uid {} out of range", e.uid)))?;
    let gid =
        u32::try_from(e.gid).map_err(|_| Error::bad(format!("gid {} out of range", e.gid)))?;
    Ok((uid, gid))
}

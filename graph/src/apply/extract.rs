//! Writes tar entries into a layer directory, keeping every entry inside it.
//!
//! Safety rules, checked for every entry before anything is written:
//! - the path is cleaned lexically; absolute paths and paths that climb out are refused;
//! - every parent component must be a real directory, never a symlink (a symlink to `/`
//!   followed by `link/etc/passwd` is refused), missing parents are created;
//! - relative symlink targets may not climb out of the layer; absolute ones are kept, as they
//!   resolve inside the container's root;
//! - hard link targets are cleaned like paths and must already exist in this layer.
//!
//! Entries are created relative to the layer directory's descriptor, never over or through
//! what is already there (`O_NOFOLLOW | O_EXCL` for files; `mkdir`, `symlink`, `link` and
//! `mknod` fail on an existing path): if something is there, it is removed and the creation
//! tried again. Directory times are set last, only on directories still in place (removing
//! a directory forgets the times of everything below it), so they never land outside.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::libc;
use nix::sys::stat::{Mode, SFlag, mkdirat};
use nix::unistd::symlinkat;

use super::creator::{ACCESS_ACL, Creator, DEFAULT_ACL};
use super::paths::{base_name, clean_entry_path, escape, join, parent, resolve};
use crate::driver::{OPAQUE_XATTR, WhiteoutMode};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{
    chmod, chmod_at, create_file, fchmod, fchown, futimes, is_dir_at, lchown, lchown_at,
    lutimes_at, make_node, make_whiteout, open_dir, set_xattr,
};
use crate::tarsplit::{EXTRA_DIR, SplitWriter};
use crate::tarstream::{EntryKind, TarEntry, TarReader};

/// Seconds and nanoseconds.
type Time = (i64, u32);

const WHITEOUT_PREFIX: &[u8] = b".wh.";
const WHITEOUT_META_PREFIX: &[u8] = b".wh..wh.";
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";

/// Applies the entries of one layer tar to a directory.
pub(crate) struct Extractor<'a> {
    root: &'a Path,
    /// `root`, opened: entries are made relative to it, which spares the kernel walking the
    /// layer directory's own path again for every call (a tenth of the time of extracting).
    root_fd: OwnedFd,
    layer_dir: &'a Path,
    mode: WhiteoutMode,
    /// Every path this tar created.
    written: BTreeSet<Vec<u8>>,
    /// Regular files whose content the tar-split refers to, with their ordinal.
    files: BTreeMap<Vec<u8>, u64>,
    /// Directories known to be real directories (not symlinks) during this extraction.
    safe_dirs: HashSet<Vec<u8>>,
    /// Directory times, set at the end (creating entries changes a directory's mtime). Kept
    /// by path, so that removing a directory drops its own and its descendants' entries: at
    /// the end every path here is a directory this tar made or kept, below real directories.
    dir_times: BTreeMap<Vec<u8>, (Time, Time)>,
    /// Set while a new entry's owner and mode are certain (see [`Creator`]): those equal to
    /// the tar's are then not set again.
    creator: Option<Creator>,
    size: u64,
}

fn range_end(prefix: &[u8]) -> Vec<u8> {
    // Keys under `p/` sort between `p/` and `p0` (`0` follows `/` in ASCII).
    let mut v = prefix.to_vec();
    v.push(b'0');
    v
}

fn range_start(prefix: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.push(b'/');
    v
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl<'a> Extractor<'a> {
    /// An extractor writing into `root` (the layer's `diff` directory); `layer_dir` receives
    /// relocated file contents.
    pub(crate) fn new(root: &'a Path, layer_dir: &'a Path, mode: WhiteoutMode) -> Result<Self> {
        let root_fd = open_dir(root).at("open", root)?;
        Ok(Extractor {
            root,
            root_fd,
            layer_dir,
            mode,
            written: BTreeSet::new(),
            files: BTreeMap::new(),
            safe_dirs: HashSet::new(),
            dir_times: BTreeMap::new(),
            creator: Creator::probe(root),
            size: 0,
        })
    }

    fn abs(&self, rel: &[u8]) -> PathBuf {
        if rel.is_empty() {
            self.root.to_path_buf()
        } else {
            self.root.join(OsStr::from_bytes(rel))
        }
    }

    /// Applies one entry; its regular-file content is read from `tar` and referenced in
    /// `split`. Content the extractor does not consume is left for the caller to record raw.
    pub(crate) fn entry<R: io::BufRead>(
        &mut self,
        e: &TarEntry,
        tar: &mut TarReader<R>,
        split: &mut SplitWriter,
    ) -> Result<()> {
        let Some(rel) = clean_entry_path(&e.path)? else {
            // The layer root itself: Docker leaves the existing directory alone.
            return Ok(());
        };
        if rel.starts_with(WHITEOUT_META_PREFIX) && rel != OPAQUE_MARKER {
            // AUFS metadata (`.wh..wh.plnk`, …): not part of the filesystem.
            return Ok(());
        }
        let base = base_name(&rel);
        if base == OPAQUE_MARKER {
            return self.opaque(parent(&rel), e);
        }
        if let Some(name) = base.strip_prefix(WHITEOUT_PREFIX) {
            if name.is_empty() {
                return Err(Error::bad(format!(
                    "invalid whiteout entry {:?}",
                    lossy(&e.path)
                )));
            }
            let target = join(parent(&rel), name);
            return self.whiteout(&target, e);
        }
        if let EntryKind::Other(t) = e.kind {
            return Err(Error::bad(format!(
                "unsupported tar entry type {:?} for {:?}",
                char::from(t),
                lossy(&e.path)
            )));
        }
        self.ensure_parent(&rel, &e.path)?;
        self.note_uncertainty(e);
        let mut link_target_is_symlink = false;
        let mut file = None;
        // What creating the entry already gave it: (owner, mode) right.
        let mut given = (false, false);
        match e.kind {
            EntryKind::Regular => {
                given = self.given(e, true);
                let mode = if given.1 { e.mode } else { 0o600 };
                let f = self.make(&rel, "create", |dir| create_file(dir, &rel, mode))?;
                file = Some(self.write_file(&rel, f, e, tar, split)?);
            }
            EntryKind::Dir => {
                // The owner must be able to write into it while it is filled (root can
                // anyway; the test suites run unprivileged too).
                let (owner, mode) = self.given(e, e.mode & 0o700 == 0o700);
                let made = if mode { e.mode } else { 0o777 };
                let created = self.make(&rel, "create directory", |dir| {
                    match mkdirat(dir, &rel[..], Mode::from_bits_truncate(made & 0o777)) {
                        Ok(()) => Ok(true),
                        // A directory already there is kept (with its contents); anything
                        // else is replaced.
                        Err(Errno::EEXIST) if is_dir_at(dir, &rel) => Ok(false),
                        Err(e) => Err(io::Error::from(e)),
                    }
                })?;
                if created {
                    given = (owner, mode);
                }
                self.safe_dirs.insert(rel.clone());
            }
            EntryKind::Symlink => {
                if e.link.first() != Some(&b'/') && resolve(parent(&rel), &e.link).is_none() {
                    return Err(escape(
                        &e.path,
                        &format!(
                            "invalid symlink to {:?}, which points outside the layer",
                            lossy(&e.link)
                        ),
                    ));
                }
                self.make(&rel, "create symlink", |dir| {
                    symlinkat(&e.link[..], dir, &rel[..]).map_err(io::Error::from)
                })?;
                given = self.given(e, false);
                self.size += e.link.len() as u64;
            }
            EntryKind::HardLink => {
                let target = self.hardlink_target(e)?;
                let path = self.abs(&rel);
                if target == path {
                    // Replacing the path first would remove the target itself.
                    return Err(Error::bad(format!(
                        "hard link {:?} points to itself",
                        lossy(&e.path)
                    )));
                }
                link_target_is_symlink =
                    fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink());
                self.make(&rel, "create hard link", |_| fs::hard_link(&target, &path))?;
            }
            EntryKind::Char | EntryKind::Block | EntryKind::Fifo => {
                let kind = match e.kind {
                    EntryKind::Char => SFlag::S_IFCHR,
                    EntryKind::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                let path = self.abs(&rel);
                self.make(&rel, "create node", |_| {
                    make_node(&path, kind, e.mode, e.dev_major, e.dev_minor)
                })?;
            }
            EntryKind::Other(_) => unreachable!("refused above"),
        }
        match file {
            Some(f) => self.apply_file_meta(&rel, &f, e, given)?,
            None => self.apply_meta(&rel, e, link_target_is_symlink, given)?,
        }
        self.written.insert(rel);
        Ok(())
    }

    /// Whether a new entry `e` is already owned as the tar says and (if `mode_too`) has its
    /// permission bits, so that setting them can be skipped.
    fn given(&self, e: &TarEntry, mode_too: bool) -> (bool, bool) {
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
    fn note_uncertainty(&mut self, e: &TarEntry) {
        let set_gid = e.kind == EntryKind::Dir && e.mode & 0o2000 != 0;
        if set_gid || e.xattrs.iter().any(|(k, _)| k.as_slice() == DEFAULT_ACL) {
            self.creator = None;
        }
    }

    /// Creates the entry `rel` with `create`, which must fail with `AlreadyExists` rather than
    /// replace or follow anything already there (`O_EXCL`, `mkdir`, `symlink`, `link`, `mknod`
    /// all do); whatever is there is then removed and `create` tried once more. Trying first
    /// costs no `stat` in the usual case, where nothing is there yet. `create` gets the layer
    /// root's descriptor, for paths relative to it.
    fn make<T>(
        &mut self,
        rel: &[u8],
        what: &str,
        create: impl Fn(BorrowedFd<'_>) -> io::Result<T>,
    ) -> Result<T> {
        match create(self.root_fd.as_fd()) {
            Ok(v) => return Ok(v),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(Error::at(what, &self.abs(rel), err)),
        }
        self.remove(rel)?;
        create(self.root_fd.as_fd()).map_err(|err| Error::at(what, &self.abs(rel), err))
    }

    /// Writes a regular file's content into `f` (just created, empty) and returns the file.
    fn write_file<R: io::BufRead>(
        &mut self,
        rel: &[u8],
        mut f: File,
        e: &TarEntry,
        tar: &mut TarReader<R>,
        split: &mut SplitWriter,
    ) -> Result<File> {
        if e.size > 0 {
            let ordinal = split.file(rel, e.size)?;
            self.files.insert(rel.to_vec(), ordinal);
        }
        loop {
            let piece = tar.content()?;
            if piece.is_empty() {
                break;
            }
            let n = piece.len();
            if let Err(err) = f.write_all(piece) {
                return Err(Error::at("write", &self.abs(rel), err));
            }
            tar.consume_content(n);
        }
        self.size += e.size;
        Ok(f)
    }

    /// Cleans and checks a hard link's target; it must exist in this layer and not be a
    /// directory.
    fn hardlink_target(&mut self, e: &TarEntry) -> Result<PathBuf> {
        if e.link.first() == Some(&b'/') {
            return Err(escape(&e.path, "hard link targets may not be absolute"));
        }
        let target = resolve(&[], &e.link)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                escape(
                    &e.path,
                    &format!("hard link to {:?} points outside the layer", lossy(&e.link)),
                )
            })?;
        if !self.parents_are_dirs(&target, &e.path)? {
            return Err(Error::bad(format!(
                "hard link {:?} points to {:?}, which does not exist in the layer",
                lossy(&e.path),
                lossy(&e.link)
            )));
        }
        let abs = self.abs(&target);
        match fs::symlink_metadata(&abs) {
            Ok(m) if m.is_dir() => Err(Error::bad(format!(
                "hard link {:?} points to the directory {:?}",
                lossy(&e.path),
                lossy(&e.link)
            ))),
            Ok(_) => Ok(abs),
            Err(_) => Err(Error::bad(format!(
                "hard link {:?} points to {:?}, which does not exist in the layer",
                lossy(&e.path),
                lossy(&e.link)
            ))),
        }
    }

    /// [`Self::apply_meta`] for a regular file still open: through its descriptor, which
    /// spares the kernel three path lookups.
    /// `given`: whether owner and mode are already right (see [`Self::given`]).
    fn apply_file_meta(
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
    fn apply_meta(
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

    /// Makes sure every parent of `rel` is a real directory, creating missing ones (0755,
    /// root-owned, as Docker does). A symlink or a file in the way is refused.
    fn ensure_parent(&mut self, rel: &[u8], raw: &[u8]) -> Result<()> {
        let dir = parent(rel);
        if dir.is_empty() || self.safe_dirs.contains(dir) {
            return Ok(());
        }
        for end in component_ends(dir) {
            let prefix = &dir[..end];
            if self.safe_dirs.contains(prefix) {
                continue;
            }
            let p = self.abs(prefix);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(escape(
                        raw,
                        &format!(
                            "{:?} is a symlink and writing through it could leave the layer",
                            lossy(prefix)
                        ),
                    ));
                }
                Ok(_) => {
                    return Err(Error::bad(format!(
                        "cannot extract {:?}: {:?} is not a directory",
                        lossy(raw),
                        lossy(prefix)
                    )));
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&p).at("create directory", &p)?;
                    chmod(&p, 0o755).at("chmod", &p)?;
                }
                Err(err) => return Err(Error::at("stat", &p, err)),
            }
            self.safe_dirs.insert(prefix.to_vec());
        }
        Ok(())
    }

    /// Like [`Self::ensure_parent`] but creates nothing: `Ok(false)` if a parent is missing.
    fn parents_are_dirs(&mut self, rel: &[u8], raw: &[u8]) -> Result<bool> {
        let dir = parent(rel);
        for end in component_ends(dir) {
            let prefix = &dir[..end];
            if self.safe_dirs.contains(prefix) {
                continue;
            }
            let p = self.abs(prefix);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {
                    self.safe_dirs.insert(prefix.to_vec());
                }
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(escape(
                        raw,
                        &format!(
                            "{:?} is a symlink and following it could leave the layer",
                            lossy(prefix)
                        ),
                    ));
                }
                Ok(_) => return Ok(false),
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(err) => return Err(Error::at("stat", &p, err)),
            }
        }
        Ok(true)
    }

    /// `.wh.<name>`: overlay stores a 0/0 character device, vfs deletes the path.
    fn whiteout(&mut self, target: &[u8], e: &TarEntry) -> Result<()> {
        match self.mode {
            WhiteoutMode::Overlay => {
                self.ensure_parent(target, &e.path)?;
                self.remove(target)?;
                let p = self.abs(target);
                make_whiteout(&p).at("create whiteout", &p)?;
                let uid = u32::try_from(e.uid).unwrap_or(0);
                let gid = u32::try_from(e.gid).unwrap_or(0);
                lchown(&p, uid, gid).at("chown", &p)?;
                self.written.insert(target.to_vec());
            }
            WhiteoutMode::Delete => {
                if self.parents_are_dirs(target, &e.path)? {
                    self.remove(target)?;
                }
            }
        }
        Ok(())
    }

    /// `.wh..wh..opq` in `dir`: overlay marks the directory opaque, vfs deletes everything in
    /// it that did not come from this layer.
    fn opaque(&mut self, dir: &[u8], e: &TarEntry) -> Result<()> {
        match self.mode {
            WhiteoutMode::Overlay => {
                let p = self.abs(dir);
                if !dir.is_empty() {
                    self.ensure_parent(dir, &e.path)?;
                    match fs::symlink_metadata(&p) {
                        Ok(m) if m.is_dir() => {}
                        Ok(m) if m.file_type().is_symlink() => {
                            return Err(escape(
                                &e.path,
                                &format!(
                                    "{:?} is a symlink and marking through it could leave the layer",
                                    lossy(dir)
                                ),
                            ));
                        }
                        Ok(_) => {
                            return Err(Error::bad(format!(
                                "opaque whiteout {:?} is not in a directory",
                                lossy(&e.path)
                            )));
                        }
                        Err(_) => {
                            fs::create_dir(&p).at("create directory", &p)?;
                            chmod(&p, 0o755).at("chmod", &p)?;
                        }
                    }
                    self.safe_dirs.insert(dir.to_vec());
                }
                set_xattr(&p, OPAQUE_XATTR.as_bytes(), b"y").at("mark opaque", &p)?;
            }
            WhiteoutMode::Delete => {
                if !dir.is_empty() {
                    let marker = join(dir, OPAQUE_MARKER);
                    if !self.parents_are_dirs(&marker, &e.path)? {
                        return Ok(());
                    }
                }
                let p = self.abs(dir);
                let mut doomed = Vec::new();
                for entry in fs::read_dir(&p).at("read directory", &p)? {
                    let entry = entry.at("read directory", &p)?;
                    let child = join(dir, entry.file_name().as_bytes());
                    let from_this_layer = self.written.contains(&child)
                        || self
                            .written
                            .range(range_start(&child)..range_end(&child))
                            .next()
                            .is_some();
                    if !from_this_layer {
                        doomed.push(child);
                    }
                }
                for child in doomed {
                    self.remove(&child)?;
                }
            }
        }
        Ok(())
    }

    /// Removes whatever is at `rel`. File contents the tar-split still refers to are moved to
    /// `extra/<ordinal>` instead of being deleted.
    fn remove(&mut self, rel: &[u8]) -> Result<()> {
        let p = self.abs(rel);
        let m = match fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(Error::at("stat", &p, err)),
        };
        if m.is_dir() {
            let (start, end) = (range_start(rel), range_end(rel));
            let inside: Vec<(Vec<u8>, u64)> = self
                .files
                .range(start.clone()..end.clone())
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            for (k, ordinal) in inside {
                self.relocate(&k, ordinal)?;
            }
            fs::remove_dir_all(&p).at("remove", &p)?;
            let gone: Vec<Vec<u8>> = self
                .written
                .range(start.clone()..end.clone())
                .cloned()
                .collect();
            for k in gone {
                self.written.remove(&k);
            }
            let gone: Vec<Vec<u8>> = self
                .dir_times
                .range(start..end)
                .map(|(k, _)| k.clone())
                .collect();
            for k in gone {
                self.dir_times.remove(&k);
            }
            self.dir_times.remove(rel);
            self.safe_dirs.clear();
        } else if let Some(ordinal) = self.files.get(rel).copied() {
            self.relocate(rel, ordinal)?;
        } else {
            fs::remove_file(&p).at("remove", &p)?;
        }
        self.written.remove(rel);
        Ok(())
    }

    fn relocate(&mut self, rel: &[u8], ordinal: u64) -> Result<()> {
        let extra = self.layer_dir.join(EXTRA_DIR);
        if !extra.is_dir() {
            fs::create_dir(&extra).at("create directory", &extra)?;
        }
        let from = self.abs(rel);
        let to = extra.join(ordinal.to_string());
        fs::rename(&from, &to).at("move aside", &from)?;
        self.files.remove(rel);
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
fn owner(e: &TarEntry) -> Result<(u32, u32)> {
    let uid =
        u32::try_from(e.uid).map_err(|_| Error::bad(format!("uid {} out of range", e.uid)))?;
    let gid =
        u32::try_from(e.gid).map_err(|_| Error::bad(format!("gid {} out of range", e.gid)))?;
    Ok((uid, gid))
}

/// End offsets of each component prefix of a cleaned path (`a/b/c` → 1, 3, 5).
fn component_ends(dir: &[u8]) -> impl Iterator<Item = usize> + '_ {
    dir.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'/')
        .map(|(i, _)| i)
        .chain(std::iter::once(dir.len()))
        .filter(|i| *i > 0)
}

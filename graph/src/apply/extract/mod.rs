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
//!
//! Whiteouts are in `whiteout`, owner/mode/xattrs/times in `meta`, removing what is in the way
//! in `remove`.

mod meta;
mod remove;
mod whiteout;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::stat::{Mode, SFlag, mkdirat};
use nix::unistd::symlinkat;

use super::creator::Creator;
use super::paths::{clean_entry_path, escape, parent, resolve};
use crate::driver::WhiteoutMode;
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{chmod, create_file, is_dir_at, make_node, open_dir};
use crate::tarsplit::SplitWriter;
use crate::tarstream::{EntryKind, TarEntry, TarReader};
use meta::Time;

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

/// The keys of the paths below `prefix` (not `prefix` itself): they sort between `prefix/` and
/// `prefix0` (`0` follows `/` in ASCII).
fn below(prefix: &[u8]) -> std::ops::Range<Vec<u8>> {
    let (mut start, mut end) = (prefix.to_vec(), prefix.to_vec());
    start.push(b'/');
    end.push(b'0');
    start..end
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
        if self.whiteout_entry(&rel, e)? {
            return Ok(());
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

    /// Makes sure every parent of `rel` is a real directory, creating missing ones (0755,
    /// root-owned, as Docker does). A symlink or a file in the way is refused.
    fn ensure_parent(&mut self, rel: &[u8], raw: &[u8]) -> Result<()> {
        self.walk_parents(rel, raw, true).map(drop)
    }

    /// Like [`Self::ensure_parent`] but creates nothing: `Ok(false)` if a parent is missing
    /// or not a directory.
    fn parents_are_dirs(&mut self, rel: &[u8], raw: &[u8]) -> Result<bool> {
        self.walk_parents(rel, raw, false)
    }

    /// Checks each parent of `rel` from the top, remembering the real directories; a symlink
    /// is refused. With `create`, a missing parent is made and a file in the way refused;
    /// without, either is `Ok(false)`.
    fn walk_parents(&mut self, rel: &[u8], raw: &[u8], create: bool) -> Result<bool> {
        let dir = parent(rel);
        if create && (dir.is_empty() || self.safe_dirs.contains(dir)) {
            return Ok(true);
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
                    let how = if create {
                        "writing through"
                    } else {
                        "following"
                    };
                    return Err(escape(
                        raw,
                        &format!(
                            "{:?} is a symlink and {how} it could leave the layer",
                            lossy(prefix)
                        ),
                    ));
                }
                Ok(_) if create => {
                    return Err(Error::bad(format!(
                        "cannot extract {:?}: {:?} is not a directory",
                        lossy(raw),
                        lossy(prefix)
                    )));
                }
                Err(err) if create && err.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&p).at("create directory", &p)?;
                    chmod(&p, 0o755).at("chmod", &p)?;
                }
                Ok(_) => return Ok(false),
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(err) => return Err(Error::at("stat", &p, err)),
            }
            self.safe_dirs.insert(prefix.to_vec());
        }
        Ok(true)
    }
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

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
//! Files are created with `O_NOFOLLOW | O_EXCL` after whatever was at the path is removed.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, symlink};
use std::path::{Path, PathBuf};

use nix::libc;
use nix::sys::stat::SFlag;

use super::paths::{base_name, clean_entry_path, escape, join, parent, resolve};
use crate::driver::{OPAQUE_XATTR, WhiteoutMode};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{chmod, lchown, lutimes, make_node, make_whiteout, set_xattr};
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
    layer_dir: &'a Path,
    mode: WhiteoutMode,
    /// Every path this tar created.
    written: BTreeSet<Vec<u8>>,
    /// Regular files whose content the tar-split refers to, with their ordinal.
    files: BTreeMap<Vec<u8>, u64>,
    /// Directories known to be real directories (not symlinks) during this extraction.
    safe_dirs: HashSet<Vec<u8>>,
    /// Directory times, set at the end (creating entries changes a directory's mtime).
    dir_times: Vec<(Vec<u8>, Time, Time)>,
    size: u64,
    buf: Vec<u8>,
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
    pub(crate) fn new(root: &'a Path, layer_dir: &'a Path, mode: WhiteoutMode) -> Self {
        Extractor {
            root,
            layer_dir,
            mode,
            written: BTreeSet::new(),
            files: BTreeMap::new(),
            safe_dirs: HashSet::new(),
            dir_times: Vec::new(),
            size: 0,
            buf: vec![0u8; 256 * 1024],
        }
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
    pub(crate) fn entry<R: io::Read>(
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
        let path = self.abs(&rel);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() && e.kind == EntryKind::Dir => {}
            Ok(_) => self.remove(&rel)?,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::at("stat", &path, err)),
        }
        let mut link_target_is_symlink = false;
        match e.kind {
            EntryKind::Regular => self.write_file(&rel, &path, e, tar, split)?,
            EntryKind::Dir => {
                if !path.is_dir() {
                    fs::create_dir(&path).at("create directory", &path)?;
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
                symlink(OsStr::from_bytes(&e.link), &path).at("create symlink", &path)?;
                self.size += e.link.len() as u64;
            }
            EntryKind::HardLink => {
                let target = self.hardlink_target(e)?;
                link_target_is_symlink =
                    fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink());
                fs::hard_link(&target, &path).at("create hard link", &path)?;
            }
            EntryKind::Char | EntryKind::Block | EntryKind::Fifo => {
                let kind = match e.kind {
                    EntryKind::Char => SFlag::S_IFCHR,
                    EntryKind::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                make_node(&path, kind, e.mode, e.dev_major, e.dev_minor)
                    .at("create node", &path)?;
            }
            EntryKind::Other(_) => unreachable!("refused above"),
        }
        self.apply_meta(&rel, &path, e, link_target_is_symlink)?;
        self.written.insert(rel);
        Ok(())
    }

    fn write_file<R: io::Read>(
        &mut self,
        rel: &[u8],
        path: &Path,
        e: &TarEntry,
        tar: &mut TarReader<R>,
        split: &mut SplitWriter,
    ) -> Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .at("create", path)?;
        if e.size > 0 {
            let ordinal = split.file(rel, e.size)?;
            self.files.insert(rel.to_vec(), ordinal);
        }
        loop {
            let n = tar.read_content(&mut self.buf)?;
            if n == 0 {
                break;
            }
            f.write_all(&self.buf[..n]).at("write", path)?;
        }
        self.size += e.size;
        Ok(())
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

    /// Owner, xattrs, mode (after chown, which clears setuid) and times.
    fn apply_meta(
        &mut self,
        rel: &[u8],
        path: &Path,
        e: &TarEntry,
        target_is_symlink: bool,
    ) -> Result<()> {
        let uid =
            u32::try_from(e.uid).map_err(|_| Error::bad(format!("uid {} out of range", e.uid)))?;
        let gid =
            u32::try_from(e.gid).map_err(|_| Error::bad(format!("gid {} out of range", e.gid)))?;
        lchown(path, uid, gid).at("chown", path)?;
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
        let is_symlink =
            e.kind == EntryKind::Symlink || (e.kind == EntryKind::HardLink && target_is_symlink);
        if !is_symlink {
            chmod(path, e.mode).at("chmod", path)?;
        }
        let atime = e.atime.map_or(e.mtime, |a| a.max(e.mtime));
        if e.kind == EntryKind::Dir {
            self.dir_times.push((rel.to_vec(), atime, e.mtime));
        } else if !(e.kind == EntryKind::HardLink && target_is_symlink) {
            lutimes(path, atime, e.mtime).at("set times on", path)?;
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
            let gone: Vec<Vec<u8>> = self.written.range(start..end).cloned().collect();
            for k in gone {
                self.written.remove(&k);
            }
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
    pub(crate) fn finish(self) -> Result<u64> {
        for (rel, atime, mtime) in &self.dir_times {
            let p = self.abs(rel);
            if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                lutimes(&p, *atime, *mtime).at("set times on", &p)?;
            }
        }
        Ok(self.size)
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

//! `GET /containers/{id}/changes`: what a container changed, as moby's `pkg/archive` computes
//! it — from an overlay upper directory (`OverlayChanges`: whiteouts and opaque directories are
//! deletions; what exists in a lower layer is a modification, the rest additions) or by
//! comparing two full trees (`ChangesDirs`, for vfs).
//!
//! The paths a container's runtime creates as mount points (`/etc/hosts`, ...) are dockerd's
//! init layer, below the container's own, so it never reports them; they are left out here too.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstatat, major, minor, stat};

use super::walk::is_opaque;
use crate::error::{Error, Result};
use crate::fsutil::open_dir;

/// The kind of a change, with moby's numbers (`ChangeModify` 0, `ChangeAdd` 1, `ChangeDelete` 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// `C`: changed.
    Modify = 0,
    /// `A`: added.
    Add = 1,
    /// `D`: deleted.
    Delete = 2,
}

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path inside the container (`/etc/passwd`).
    pub path: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// What dockerd's init layer holds (moby's `initlayer.Setup`): never a container's change.
pub(crate) const INIT_PATHS: [&str; 10] = [
    "/dev/pts",
    "/dev/shm",
    "/proc",
    "/sys",
    "/.dockerenv",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/hostname",
    "/dev/console",
    "/etc/mtab",
];

/// The same as tar names, for a layer's tar.
pub(crate) const INIT_TAR_NAMES: [&str; 10] = [
    "dev/pts",
    "dev/shm",
    "proc",
    "sys",
    ".dockerenv",
    "etc/resolv.conf",
    "etc/hosts",
    "etc/hostname",
    "dev/console",
    "etc/mtab",
];

/// The directories the init layer creates those in.
const INIT_PARENTS: [&str; 2] = ["/dev", "/etc"];

fn kind_of(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT
}

fn children(dir: &OwnedFd, what: &str) -> Result<Vec<Vec<u8>>> {
    let listing = dir
        .try_clone()
        .map_err(|e| Error::io(format!("read {what}"), e))?;
    let reading = |e: nix::Error| Error::io(format!("read {what}"), e.into());
    let mut d = nix::dir::Dir::from_fd(listing).map_err(reading)?;
    let mut names = Vec::new();
    for entry in d.iter() {
        let name = entry.map_err(reading)?.file_name().to_bytes().to_vec();
        if name != b"." && name != b".." {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn open_child(dir: BorrowedFd<'_>, name: &[u8], what: &str) -> Result<OwnedFd> {
    openat(
        dir,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io(format!("open {what}"), e.into()))
}

fn join(dir: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The changes of an overlay upper directory over its lower layers (top first).
pub fn overlay(upper: &Path, lowers: &[&Path]) -> Result<Vec<Change>> {
    let root = open_dir(upper).map_err(|e| Error::at("open", upper, e))?;
    let root = openat(
        root.as_fd(),
        ".",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::at("open", upper, e.into()))?;
    let mut walk = OverlayWalk {
        lowers,
        out: Vec::new(),
        changed_dirs: std::collections::HashSet::new(),
    };
    walk.dir(&root, "/")?;
    Ok(drop_init_layer(walk.out))
}

struct OverlayWalk<'a> {
    lowers: &'a [&'a Path],
    out: Vec<Change>,
    changed_dirs: std::collections::HashSet<String>,
}

impl OverlayWalk<'_> {
    fn dir(&mut self, dir: &OwnedFd, at: &str) -> Result<()> {
        for name in children(dir, at)? {
            let path = join(at, &name);
            let st = fstatat(dir.as_fd(), name.as_slice(), AtFlags::AT_SYMLINK_NOFOLLOW)
                .map_err(|e| Error::io(format!("lstat {path}"), e.into()))?;
            let sub = if kind_of(&st) == SFlag::S_IFDIR {
                Some(open_child(dir.as_fd(), &name, &path)?)
            } else {
                None
            };
            let whiteout =
                kind_of(&st) == SFlag::S_IFCHR && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
            let opaque = sub
                .as_ref()
                .and_then(|d| d.try_clone().ok())
                .is_some_and(|d| is_opaque(&File::from(d)));
            let kind = if whiteout || opaque {
                Some(ChangeKind::Delete)
            } else {
                self.lower_kind(&path, &st)
            };
            if let Some(kind) = kind {
                if sub.is_some() {
                    self.changed_dirs.insert(path.clone());
                }
                if kind != ChangeKind::Modify {
                    let parent = match path.rfind('/') {
                        Some(0) | None => "/".to_owned(),
                        Some(i) => path[..i].to_owned(),
                    };
                    if parent != "/" && self.changed_dirs.insert(parent.clone()) {
                        self.out.push(Change {
                            path: parent,
                            kind: ChangeKind::Modify,
                        });
                    }
                }
                self.out.push(Change {
                    path: path.clone(),
                    kind,
                });
            }
            if let Some(d) = sub {
                self.dir(&d, &path)?;
            }
        }
        Ok(())
    }

    /// `Add`, or `Modify` when a lower layer has the path; `None` for a directory that is
    /// the same as the lower one (it is only there as the parent of a change).
    fn lower_kind(&self, path: &str, st: &FileStat) -> Option<ChangeKind> {
        for lower in self.lowers {
            let Ok(low) = stat(&lower.join(&path[1..])) else {
                continue;
            };
            if kind_of(st) == SFlag::S_IFDIR
                && kind_of(&low) == SFlag::S_IFDIR
                && st.st_size == low.st_size
                && st.st_mode == low.st_mode
                && st.st_mtime == low.st_mtime
                && st.st_mtime_nsec == low.st_mtime_nsec
            {
                return None;
            }
            return Some(ChangeKind::Modify);
        }
        Some(ChangeKind::Add)
    }
}

/// The changes from the tree `old` (none: an empty tree, for `scratch`) to the tree `new`
/// (moby's `ChangesDirs`): a directory counts as modified when something below it changed.
pub fn compare(old: Option<&Path>, new: &Path) -> Result<Vec<Change>> {
    let open = |p: &Path| {
        open_dir(p)
            .and_then(|fd| {
                openat(
                    fd.as_fd(),
                    ".",
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
                .map_err(Into::into)
            })
            .map_err(|e| Error::at("open", p, e))
    };
    let old = old.map(open).transpose()?;
    let new = open(new)?;
    let mut out = Vec::new();
    compare_dirs(old.as_ref(), &new, "/", &mut out)?;
    Ok(drop_init_layer(out))
}

fn stats(dir: &OwnedFd, at: &str) -> Result<BTreeMap<Vec<u8>, FileStat>> {
    children(dir, at)?
        .into_iter()
        .map(|name| {
            let st = fstatat(dir.as_fd(), name.as_slice(), AtFlags::AT_SYMLINK_NOFOLLOW)
                .map_err(|e| Error::io(format!("lstat {}", join(at, &name)), e.into()))?;
            Ok((name, st))
        })
        .collect()
}

/// moby's `statDifferent`: owner, mode and device always; size and time except for
/// directories.
fn differs(a: &FileStat, b: &FileStat) -> bool {
    a.st_mode != b.st_mode
        || a.st_uid != b.st_uid
        || a.st_gid != b.st_gid
        || a.st_rdev != b.st_rdev
        || (kind_of(a) != SFlag::S_IFDIR
            && (a.st_mtime != b.st_mtime
                || a.st_mtime_nsec != b.st_mtime_nsec
                || a.st_size != b.st_size))
}

fn compare_dirs(
    old: Option<&OwnedFd>,
    new: &OwnedFd,
    at: &str,
    out: &mut Vec<Change>,
) -> Result<()> {
    let news = stats(new, at)?;
    let mut olds = match old {
        Some(o) => stats(o, at)?,
        None => BTreeMap::new(),
    };
    for (name, st) in &news {
        let path = join(at, name);
        let before = out.len();
        let prior = olds.remove(name);
        let added = match &prior {
            None => {
                out.push(Change {
                    path: path.clone(),
                    kind: ChangeKind::Add,
                });
                true
            }
            Some(p) if differs(p, st) => {
                out.push(Change {
                    path: path.clone(),
                    kind: ChangeKind::Modify,
                });
                true
            }
            Some(_) => false,
        };
        if kind_of(st) == SFlag::S_IFDIR {
            let sub_new = open_child(new.as_fd(), name, &path)?;
            let sub_old = match (&prior, old) {
                (Some(p), Some(o)) if kind_of(p) == SFlag::S_IFDIR => {
                    Some(open_child(o.as_fd(), name, &path)?)
                }
                _ => None,
            };
            compare_dirs(sub_old.as_ref(), &sub_new, &path, out)?;
            if out.len() > before && !added {
                out.insert(
                    before,
                    Change {
                        path,
                        kind: ChangeKind::Modify,
                    },
                );
            }
        }
    }
    for name in olds.keys() {
        out.push(Change {
            path: join(at, name),
            kind: ChangeKind::Delete,
        });
    }
    Ok(())
}

/// Leaves out the init layer's paths, and their parents when nothing else below them changed.
fn drop_init_layer(changes: Vec<Change>) -> Vec<Change> {
    let under =
        |p: &str, dir: &str| p.starts_with(dir) && p.as_bytes().get(dir.len()) == Some(&b'/');
    let kept: Vec<Change> = changes
        .into_iter()
        .filter(|c| !INIT_PATHS.iter().any(|i| c.path == *i || under(&c.path, i)))
        .collect();
    kept.iter()
        .filter(|c| {
            !(c.kind == ChangeKind::Modify
                && INIT_PARENTS.contains(&c.path.as_str())
                && !kept.iter().any(|o| under(&o.path, &c.path)))
        })
        .cloned()
        .collect()
}

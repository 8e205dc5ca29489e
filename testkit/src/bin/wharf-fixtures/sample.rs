//! The ~100 MB sample of the host's `/usr` the big fixtures are made of: a deterministic
//! subset of `/usr/{bin,include,lib,libexec,sbin,share}`, every regular file and symlink whose
//! path's sha256 falls in a bucket chosen so that the selected regular files add up to about
//! 100 MB (files over 16 MB are left out), walked in sorted order, each directory written
//! before its contents. Owners are root, times fixed, modes kept: on the same host, the same
//! bytes every time. As one layer ([`Sample::layer`]) or cut into several of different sizes
//! ([`Sample::split`]).

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use sha2::{Digest, Sha256};

use super::EPOCH;

/// The trees the sample is taken from, in the order they are walked.
const SOURCES: &[&str] = &[
    "/usr/bin",
    "/usr/include",
    "/usr/lib",
    "/usr/libexec",
    "/usr/sbin",
    "/usr/share",
];
/// About how much file content the sample holds.
const BIG_TARGET: u64 = 100 << 20;
/// Files larger than this are not sampled (one huge file would make the layer unrealistic).
const BIG_FILE_MAX: u64 = 16 << 20;

/// A layer made of part of the sample.
pub struct LayerTar {
    /// The tar.
    pub tar: Vec<u8>,
    /// Regular files in it.
    pub files: usize,
    /// Their total size in bytes.
    pub content: u64,
}

/// The selected entries of the host's `/usr`.
pub struct Sample {
    /// Everything walked, in walk order.
    found: Vec<Found>,
    /// Which of `found` are selected (directories: those leading to a selected entry).
    keep: Vec<bool>,
}

/// One thing found under [`SOURCES`].
struct Found {
    path: PathBuf,
    kind: Kind,
    mode: u32,
}

enum Kind {
    Dir,
    File(u64),
    Symlink(PathBuf),
}

/// Walks `dir` in sorted order (directories before their contents), without following
/// symlinks; unreadable entries and special files are skipped.
fn walk(dir: &Path, out: &mut Vec<Found>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        let ft = meta.file_type();
        if ft.is_dir() {
            out.push(Found {
                path: path.clone(),
                kind: Kind::Dir,
                mode,
            });
            walk(&path, out);
        } else if ft.is_file() {
            out.push(Found {
                path,
                kind: Kind::File(meta.size()),
                mode,
            });
        } else if ft.is_symlink()
            && let Ok(target) = std::fs::read_link(&path)
        {
            out.push(Found {
                path,
                kind: Kind::Symlink(target),
                mode,
            });
        }
    }
}

/// The bucket of a path: the first 8 bytes of its sha256.
fn bucket(path: &Path, buckets: u64) -> u64 {
    let h = Sha256::digest(path.as_os_str().as_encoded_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    u64::from_le_bytes(b) % buckets
}

impl Sample {
    /// Walks [`SOURCES`] and selects the sample.
    pub fn take() -> Sample {
        let mut found = vec![Found {
            path: PathBuf::from("/usr"),
            kind: Kind::Dir,
            mode: 0o755,
        }];
        for src in SOURCES {
            let src = Path::new(src);
            if src.is_dir() {
                found.push(Found {
                    path: src.to_path_buf(),
                    kind: Kind::Dir,
                    mode: 0o755,
                });
                walk(src, &mut found);
            }
        }
        let eligible: u64 = found
            .iter()
            .filter_map(|f| match f.kind {
                Kind::File(n) if n <= BIG_FILE_MAX => Some(n),
                _ => None,
            })
            .sum();
        let buckets = eligible.div_ceil(BIG_TARGET).max(1);
        let mut keep: Vec<bool> = found
            .iter()
            .map(|f| match f.kind {
                Kind::Dir => false,
                Kind::File(n) => n <= BIG_FILE_MAX && bucket(&f.path, buckets) == 0,
                Kind::Symlink(_) => bucket(&f.path, buckets) == 0,
            })
            .collect();
        with_parents(&found, &mut keep);
        Sample { found, keep }
    }

    /// The whole sample as one layer.
    pub fn layer(&self) -> Result<LayerTar> {
        write_tar(&self.found, &self.keep)
    }

    /// The sample cut into consecutive layers (in walk order), bottom first, whose file
    /// contents are about in the proportions of `shares`; each holds the directories that
    /// lead to its entries.
    pub fn split(&self, shares: &[u64]) -> Result<Vec<LayerTar>> {
        let weight: u64 = shares.iter().sum();
        ensure!(weight > 0, "no shares to split the sample by");
        let size = |f: &Found| match f.kind {
            Kind::File(n) => n,
            _ => 0,
        };
        let total: u64 = self
            .found
            .iter()
            .zip(&self.keep)
            .filter(|(_, k)| **k)
            .map(|(f, _)| size(f))
            .sum();
        // Where each layer ends, in bytes of content before it.
        let ends: Vec<u64> = shares
            .iter()
            .scan(0, |sum, s| {
                *sum += s;
                Some(total * *sum / weight)
            })
            .collect();
        let mut masks = vec![vec![false; self.found.len()]; shares.len()];
        let mut before = 0;
        for (i, f) in self.found.iter().enumerate() {
            if !self.keep[i] || matches!(f.kind, Kind::Dir) {
                continue;
            }
            // By the file's middle, so that a large file at a boundary goes to the layer that
            // holds most of its share.
            let middle = before + size(f) / 2;
            let layer = ends
                .iter()
                .position(|end| middle < *end)
                .unwrap_or(shares.len() - 1);
            masks[layer][i] = true;
            before += size(f);
        }
        masks
            .iter_mut()
            .map(|mask| {
                with_parents(&self.found, mask);
                write_tar(&self.found, mask)
            })
            .collect()
    }
}

/// Selects the directories that lead to a selected entry (`usr/` included), and no other.
fn with_parents(found: &[Found], keep: &mut [bool]) {
    let mut dirs = BTreeSet::new();
    for (f, _) in found
        .iter()
        .zip(keep.iter())
        .filter(|(f, k)| **k && !matches!(f.kind, Kind::Dir))
    {
        let mut p = f.path.parent();
        while let Some(d) = p
            && d != Path::new("/")
        {
            dirs.insert(d.to_path_buf());
            p = d.parent();
        }
    }
    for (f, k) in found.iter().zip(keep.iter_mut()) {
        if matches!(f.kind, Kind::Dir) {
            *k = dirs.contains(&f.path);
        }
    }
}

/// The tar of the selected entries of `found`, in walk order.
fn write_tar(found: &[Found], keep: &[bool]) -> Result<LayerTar> {
    let mut b = tar::Builder::new(Vec::new());
    let (mut files, mut content) = (0, 0);
    for (f, _) in found.iter().zip(keep).filter(|(_, k)| **k) {
        let name = f
            .path
            .strip_prefix("/")
            .context("walked paths are absolute")?;
        let mut h = tar::Header::new_gnu();
        h.set_mode(f.mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(EPOCH);
        match &f.kind {
            Kind::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, name, std::io::empty())?;
            }
            Kind::Symlink(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, name, target)?;
            }
            Kind::File(_) => {
                // The size at reading time, should the file have changed since the walk.
                let data = match std::fs::read(&f.path) {
                    Ok(d) => d,
                    Err(_) => continue,
                };
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, name, data.as_slice())?;
                files += 1;
                content += data.len() as u64;
            }
        }
    }
    Ok(LayerTar {
        tar: b.into_inner()?,
        files,
        content,
    })
}

//! `wharf-fixtures DIR`: writes the benchmark's test images as docker-archives, for
//! `cargo xtask bench` (which builds and runs this binary instead of depending on testkit):
//!
//! - `DIR/busybox.tar` and `DIR/layered.tar`: [`testkit::fixtures::busybox`] and
//!   [`testkit::fixtures::layered`];
//! - `DIR/big.tar` (`big:1`): the busybox layer plus one layer of about 100 MB of the host's own
//!   files, a realistic rootfs mix (executables, libraries, headers, data files, symlinks);
//! - `DIR/big-layer.tar`: that second layer alone, for the plain `tar -x` it is compared with.
//!
//! The big layer is a deterministic subset of `/usr/{bin,include,lib,libexec,sbin,share}`:
//! every regular file and symlink whose path's sha256 falls in a bucket chosen so that the
//! selected regular files add up to about 100 MB (files over 16 MB are left out), walked in
//! sorted order, each directory written before its contents. Owners are root, times fixed,
//! modes kept: on the same host, the same bytes and the same image ID every time.
//!
//! Prints `key=value` lines: the path, image ID and size of each archive, and the big layer's
//! file count and content size.

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::json;
use sha2::{Digest, Sha256};
use testkit::fixtures::{self, Image, sha256_hex};

/// The trees the big layer samples, in the order they are walked.
const SOURCES: &[&str] = &[
    "/usr/bin",
    "/usr/include",
    "/usr/lib",
    "/usr/libexec",
    "/usr/sbin",
    "/usr/share",
];
/// About how much file content the big layer holds.
const BIG_TARGET: u64 = 100 << 20;
/// Files larger than this are not sampled (one huge file would make the layer unrealistic).
const BIG_FILE_MAX: u64 = 16 << 20;
/// The fixtures' creation time, as in `testkit::fixtures`: 2026-01-01T00:00:00Z.
const EPOCH: u64 = 1_767_225_600;
const CREATED: &str = "2026-01-01T00:00:00Z";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        bail!("usage: wharf-fixtures DIR");
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;

    for (name, image) in [
        ("busybox", fixtures::busybox()?),
        ("layered", fixtures::layered()?),
    ] {
        let path = image.write_docker_archive(&dir.join(format!("{name}.tar")))?;
        report(name, &path, &image)?;
    }

    let (layer, files, bytes) = big_layer()?;
    let layer_path = dir.join("big-layer.tar");
    std::fs::write(&layer_path, &layer)
        .with_context(|| format!("writing {}", layer_path.display()))?;
    let base = fixtures::busybox_layer()?;
    let big = Image {
        config: big_config(&[&base, &layer])?,
        layers: vec![base, layer],
        tags: vec!["big:1".into()],
    };
    let path = big.write_docker_archive(&dir.join("big.tar"))?;
    report("big", &path, &big)?;
    println!("big_layer={}", layer_path.display());
    println!("big_layer_files={files}");
    println!("big_layer_content_bytes={bytes}");
    println!(
        "big_layer_tar_bytes={}",
        std::fs::metadata(&layer_path)?.len()
    );
    Ok(())
}

/// Prints where an archive is, its image ID and its size.
fn report(name: &str, path: &Path, image: &Image) -> Result<()> {
    println!("{name}={}", path.display());
    println!("{name}_id={}", image.id());
    println!("{name}_bytes={}", std::fs::metadata(path)?.len());
    Ok(())
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

/// The big layer's tar, how many regular files it holds and their total size.
fn big_layer() -> Result<(Vec<u8>, usize, u64)> {
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
    // The directories that lead to a selected entry, `usr/` included.
    let mut dirs = BTreeSet::new();
    for (f, _) in found.iter().zip(&keep).filter(|(_, k)| **k) {
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

    let mut b = tar::Builder::new(Vec::new());
    let (mut files, mut bytes) = (0, 0);
    for (f, _) in found.iter().zip(&keep).filter(|(_, k)| **k) {
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
                bytes += data.len() as u64;
            }
        }
    }
    Ok((b.into_inner()?, files, bytes))
}

/// The big image's config, shaped as the other fixtures' configs.
fn big_config(layers: &[&[u8]]) -> Result<Vec<u8>> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    Ok(serde_json::to_vec(&json!({
        "architecture": "amd64",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["sh"],
        },
        "created": CREATED,
        "history": [
            { "created": CREATED, "comment": "wharf fixture: busybox from Debian busybox-static" },
            { "created": CREATED, "created_by": "wharf fixture: ~100 MB sample of the host's /usr" },
        ],
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    }))?)
}

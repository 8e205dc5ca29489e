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
//!
//! `wharf-fixtures DIR --huge` writes only `DIR/huge.tar` (`big1g:1`), for the bench's memory
//! row: one layer of [`HUGE_FILES`] files of [`HUGE_FILE_SIZE`] pseudo-random bytes (1 GiB,
//! incompressible and nowhere zero, so nothing can take a shortcut through sparseness or
//! compression), made as it is written (never whole in memory), and the same bytes on every
//! host. It prints the same keys for `huge`, plus `huge_layer_files` and
//! `huge_layer_content_bytes`.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::json;
use sha2::{Digest, Sha256};
use testkit::fixtures::{self, CREATED, Image, image_config, sha256_hex};

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
/// The `PATH` every fixture image sets.
const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Files in the huge fixture's layer.
const HUGE_FILES: usize = 128;
/// Bytes in each (a multiple of 512: the layer needs no padding).
const HUGE_FILE_SIZE: usize = 8 << 20;
/// The seed of the huge layer's bytes.
const HUGE_SEED: u64 = 0x7768_6172_6631_6762;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, huge) = match args.as_slice() {
        [dir] => (dir, false),
        [dir, flag] if flag == "--huge" => (dir, true),
        _ => bail!("usage: wharf-fixtures DIR [--huge]"),
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if huge {
        let path = dir.join("huge.tar");
        let id = write_huge(&path, HUGE_FILES, HUGE_FILE_SIZE)?;
        println!("huge={}", path.display());
        println!("huge_id={id}");
        println!("huge_bytes={}", std::fs::metadata(&path)?.len());
        println!("huge_layer_files={HUGE_FILES}");
        println!(
            "huge_layer_content_bytes={}",
            HUGE_FILES as u64 * HUGE_FILE_SIZE as u64
        );
        return Ok(());
    }

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
    image_config(
        &diff_ids,
        json!({
            "Env": [PATH_ENV],
            "Cmd": ["sh"],
        }),
        &[
            json!({ "created": CREATED, "comment": "wharf fixture: busybox from Debian busybox-static" }),
            json!({ "created": CREATED, "created_by": "wharf fixture: ~100 MB sample of the host's /usr" }),
        ],
    )
}

/// A layer tar made as it is read: a `huge/` directory, then `files` regular files
/// `huge/fNNNN` of `file_size` pseudo-random bytes each (splitmix64 from [`HUGE_SEED`]), then
/// the two zero blocks that end an archive. It hashes what it hands out.
struct HugeLayer {
    /// The next piece to make: 0 the directory, 1..=files the files, files + 1 the end.
    next: usize,
    files: usize,
    file_size: usize,
    /// The piece being handed out, and how much of it has been.
    piece: Vec<u8>,
    pos: usize,
    rng: u64,
    hasher: Sha256,
}

impl HugeLayer {
    fn new(files: usize, file_size: usize) -> Result<Self> {
        anyhow::ensure!(
            file_size.is_multiple_of(512),
            "the huge layer's file size {file_size} is not a multiple of 512"
        );
        Ok(HugeLayer {
            next: 0,
            files,
            file_size,
            piece: Vec::with_capacity(512 + file_size),
            pos: 0,
            rng: HUGE_SEED,
            hasher: Sha256::new(),
        })
    }

    /// The tar's length: a header for the directory and each file, the files, the end.
    fn len(&self) -> u64 {
        512 + self.files as u64 * (512 + self.file_size as u64) + 1024
    }

    /// Makes the next piece; false at the end.
    fn refill(&mut self) -> std::io::Result<bool> {
        let n = self.next;
        if n > self.files + 1 {
            return Ok(false);
        }
        self.next += 1;
        self.piece.clear();
        self.pos = 0;
        let header = |path: &str, kind, mode, size| -> std::io::Result<tar::Header> {
            let mut h = tar::Header::new_gnu();
            h.set_path(path)?;
            h.set_entry_type(kind);
            h.set_mode(mode);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(EPOCH);
            h.set_size(size);
            h.set_cksum();
            Ok(h)
        };
        if n == 0 {
            let h = header("huge/", tar::EntryType::Directory, 0o755, 0)?;
            self.piece.extend_from_slice(h.as_bytes());
        } else if n <= self.files {
            let path = format!("huge/f{n:04}");
            let h = header(&path, tar::EntryType::Regular, 0o644, self.file_size as u64)?;
            self.piece.extend_from_slice(h.as_bytes());
            let start = self.piece.len();
            self.piece.resize(start + self.file_size, 0);
            for word in self.piece[start..].chunks_exact_mut(8) {
                word.copy_from_slice(&splitmix64(&mut self.rng).to_le_bytes());
            }
        } else {
            self.piece.resize(1024, 0);
        }
        self.hasher.update(&self.piece);
        Ok(true)
    }

    /// `sha256:<hex>` of everything handed out.
    fn diff_id(self) -> String {
        let hex: String = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hex}")
    }
}

impl Read for HugeLayer {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.piece.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.piece.len() - self.pos);
        out[..n].copy_from_slice(&self.piece[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// One step of splitmix64: fast, and every output word differs from zero in practice.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Writes the huge fixture's docker-archive to `path`, laid out as the other fixtures' (see
/// `Image::write_docker_archive`), and returns its image ID. The layer is made twice, the
/// first time only to hash it: its diff ID names its directory and goes in the config, both
/// written around it. The second making must hash the same.
fn write_huge(path: &Path, files: usize, file_size: usize) -> Result<String> {
    let mut first = HugeLayer::new(files, file_size)?;
    let len = first.len();
    let copied = std::io::copy(&mut first, &mut std::io::sink())?;
    anyhow::ensure!(copied == len, "the huge layer is {copied} bytes, not {len}");
    let diff_id = first.diff_id();
    let hex = diff_id.trim_start_matches("sha256:");
    let config = image_config(
        std::slice::from_ref(&diff_id),
        json!({ "Env": [PATH_ENV] }),
        &[
            json!({ "created": CREATED, "created_by": "wharf fixture: 1 GiB of pseudo-random files" }),
        ],
    )?;
    let config_name = format!("{}.json", sha256_hex(&config));
    let layer_name = format!("{hex}/layer.tar");
    let manifest = serde_json::to_vec(&json!([{
        "Config": config_name,
        "RepoTags": ["big1g:1"],
        "Layers": [layer_name],
    }]))?;

    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut b = tar::Builder::new(BufWriter::with_capacity(1 << 20, file));
    let entry = |b: &mut tar::Builder<_>, name: &str, size: u64, data: &mut dyn Read| {
        let mut h = tar::Header::new_gnu();
        let dir = name.ends_with('/');
        h.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        h.set_mode(if dir { 0o755 } else { 0o644 });
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(EPOCH);
        h.set_size(size);
        b.append_data(&mut h, name, data)
    };
    entry(&mut b, &format!("{hex}/"), 0, &mut std::io::empty())?;
    entry(&mut b, &format!("{hex}/VERSION"), 3, &mut &b"1.0"[..])?;
    let mut second = HugeLayer::new(files, file_size)?;
    entry(&mut b, &layer_name, len, &mut second)?;
    anyhow::ensure!(
        second.diff_id() == diff_id,
        "the huge layer came out different the second time"
    );
    entry(
        &mut b,
        &config_name,
        config.len() as u64,
        &mut config.as_slice(),
    )?;
    entry(
        &mut b,
        "manifest.json",
        manifest.len() as u64,
        &mut manifest.as_slice(),
    )?;
    let mut out = b.into_inner()?;
    out.flush()?;
    Ok(format!("sha256:{}", sha256_hex(&config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_archive_is_a_consistent_docker_archive() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("huge.tar");
        let id = write_huge(&path, 3, 4096).expect("written");
        assert_eq!(id, write_huge(&path, 3, 4096).expect("written again"));

        let mut members = std::collections::HashMap::new();
        let mut ar = tar::Archive::new(File::open(&path).expect("open"));
        for e in ar.entries().expect("entries") {
            let mut e = e.expect("entry");
            let name = e.path().expect("path").display().to_string();
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("read");
            members.insert(name, data);
        }
        let manifest: serde_json::Value =
            serde_json::from_slice(&members["manifest.json"]).expect("manifest");
        assert_eq!(manifest[0]["RepoTags"][0], "big1g:1");
        let config_name = manifest[0]["Config"].as_str().expect("config name");
        let config = &members[config_name];
        assert_eq!(id, format!("sha256:{}", sha256_hex(config)));
        let config: serde_json::Value = serde_json::from_slice(config).expect("config");
        let layer = &members[manifest[0]["Layers"][0].as_str().expect("layer name")];
        assert_eq!(
            config["rootfs"]["diff_ids"][0],
            format!("sha256:{}", sha256_hex(layer))
        );

        let mut files = Vec::new();
        let mut ar = tar::Archive::new(layer.as_slice());
        for e in ar.entries().expect("layer entries") {
            let mut e = e.expect("layer entry");
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("read");
            files.push((e.path().expect("path").display().to_string(), data));
        }
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["huge/", "huge/f0001", "huge/f0002", "huge/f0003"]);
        assert!(files[1..].iter().all(|(_, d)| d.len() == 4096));
        assert_ne!(files[1].1, files[2].1, "each file has bytes of its own");
        assert!(files[1].1.chunks(8).all(|w| w != [0; 8]), "nothing sparse");
    }
}

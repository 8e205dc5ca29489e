//! The ~1 GB fixture (`wharf-fixtures DIR --huge`): one layer of [`HUGE_FILES`] files of
//! [`HUGE_FILE_SIZE`] pseudo-random bytes, made as it is written (never whole in memory).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use sha2::{Digest, Sha256};
use testkit::fixtures::{CREATED, image_config, sha256_hex};

use super::{EPOCH, PATH_ENV};

/// Files in the huge fixture's layer.
pub const HUGE_FILES: usize = 128;
/// Bytes in each (a multiple of 512: the layer needs no padding).
pub const HUGE_FILE_SIZE: usize = 8 << 20;
/// The seed of the huge layer's bytes.
const HUGE_SEED: u64 = 0x7768_6172_6631_6762;

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
pub fn write_huge(path: &Path, files: usize, file_size: usize) -> Result<String> {
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

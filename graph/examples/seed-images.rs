//! `seed-images ROOT [COUNT]`: fills the image store under data root `ROOT` with `COUNT`
//! (default 10 000) tiny distinct images, for `cargo xtask bench`'s "ready with 10k images"
//! (issue 3's target: `wharfd` answers within 100 ms however many images are stored).
//!
//! The store is opened exactly as `wharfd` opens it on a host with overlayfs
//! ([`ImageStore::open`] with no `-s` and overlay supported), so `wharfd --data-root ROOT`
//! finds the images. Image `i` has a layer of its own (one small file) and a config of its
//! own, and is tagged `bench-seed:i`. They are stored by [`ImageStore::load`], no HTTP, from
//! in-memory docker-archives of 1 000 images each (one commit per archive, as `docker load`
//! of a multi-image archive does).
//!
//! Prints `key=value` lines: `driver`, `images` (the store's count) and `seed_ms`.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use graph::{Digest, ImageStore, StoreOptions};
use serde_json::json;

/// Images per archive.
const CHUNK: usize = 1_000;
/// Fixed times, so that a seed is the same bytes on every run: 2026-01-01T00:00:00Z.
const EPOCH: u64 = 1_767_225_600;
const CREATED: &str = "2026-01-01T00:00:00Z";

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().ok_or("usage: seed-images ROOT [COUNT]")?);
    let count: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let t = Instant::now();
    let store = ImageStore::open(&StoreOptions {
        root,
        driver: None,
        overlay_supported: true,
    })?;
    let mut start = 0;
    while start < count {
        let end = (start + CHUNK).min(count);
        let archive = archive(start..end)?;
        let loaded = store.load(&mut archive.as_slice(), &mut |_| {})?;
        if loaded.len() != end - start {
            return Err(format!("loaded {} images, expected {}", loaded.len(), end - start).into());
        }
        start = end;
    }
    println!("driver={}", store.driver());
    println!("images={}", store.image_count()?);
    println!("seed_ms={:.0}", t.elapsed().as_secs_f64() * 1000.0);
    Ok(())
}

/// A docker-archive holding images `range`.
fn archive(range: std::ops::Range<usize>) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    for i in range {
        let layer = layer(i)?;
        let diff_id = Digest::of(&layer);
        let layer_path = format!("{}/layer.tar", diff_id.hex());
        append(&mut b, &layer_path, &layer)?;
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64",
            "config": {
                "Cmd": ["/seed"],
                "Labels": { "org.example.seed": i.to_string() },
            },
            "created": CREATED,
            "history": [{ "created": CREATED, "created_by": format!("wharf bench seed {i}") }],
            "os": "linux",
            "rootfs": { "type": "layers", "diff_ids": [diff_id.as_str()] },
        }))?;
        let config_path = format!("{}.json", Digest::of(&config).hex());
        append(&mut b, &config_path, &config)?;
        manifest.push(json!({
            "Config": config_path,
            "RepoTags": [format!("bench-seed:{i}")],
            "Layers": [layer_path],
        }));
    }
    append(&mut b, "manifest.json", &serde_json::to_vec(&manifest)?)?;
    Ok(b.into_inner()?)
}

/// Image `i`'s one layer: a file `seed` that holds `i`.
fn layer(i: usize) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut b = tar::Builder::new(Vec::new());
    append(&mut b, "seed", format!("{i}\n").as_bytes())?;
    Ok(b.into_inner()?)
}

fn append(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) -> Result<(), Box<dyn Error>> {
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(EPOCH);
    h.set_size(data.len() as u64);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, path, data)?;
    Ok(())
}

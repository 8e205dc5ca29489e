//! Builders for layer tars, image configs and archives, and a store in a temp dir.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use graph::{Digest, DriverKind, ImageStore, StoreOptions};
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

pub fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// A store on disk (sled) in a fresh temp dir.
pub fn store(driver: DriverKind) -> (TempDir, ImageStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = open(dir.path(), driver);
    (dir, s)
}

pub fn open(root: &Path, driver: DriverKind) -> ImageStore {
    let options = StoreOptions {
        root: root.to_path_buf(),
        driver: Some(driver.name().to_string()),
        overlay_supported: true,
    };
    // sled lets go of its file lock when its flusher thread has ended, a moment after the
    // store is dropped: a test that reopens at once (or a child it spawns) may find it held.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match ImageStore::open(&options) {
            Ok(s) => return s,
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("open store: {e:?}"),
        }
    }
}

pub const BOTH: [DriverKind; 2] = [DriverKind::Overlay2, DriverKind::Vfs];

/// Header fields of a raw tar entry.
#[derive(Clone, Copy)]
pub struct Meta {
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
    pub major: u32,
    pub minor: u32,
}

impl Default for Meta {
    fn default() -> Self {
        Meta {
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 1_700_000_000,
            major: 0,
            minor: 0,
        }
    }
}

/// A tar written block by block, so hostile names can be expressed.
#[derive(Default)]
pub struct RawTar {
    pub buf: Vec<u8>,
}

impl RawTar {
    pub fn new() -> Self {
        RawTar::default()
    }

    pub fn entry(&mut self, kind: u8, name: &str, link: &str, m: Meta, data: &[u8]) -> &mut Self {
        let mut h = tar::Header::new_ustar();
        {
            let b = h.as_mut_bytes();
            assert!(
                name.len() <= 100 && link.len() <= 100,
                "use pax/gnu for long names"
            );
            b[..name.len()].copy_from_slice(name.as_bytes());
            b[157..157 + link.len()].copy_from_slice(link.as_bytes());
            b[156] = kind;
        }
        h.set_mode(m.mode);
        h.set_uid(m.uid);
        h.set_gid(m.gid);
        h.set_mtime(m.mtime);
        h.set_size(data.len() as u64);
        h.set_device_major(m.major).expect("ustar");
        h.set_device_minor(m.minor).expect("ustar");
        h.set_username("root").expect("name");
        h.set_cksum();
        self.buf.extend_from_slice(h.as_bytes());
        self.buf.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        self
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(b'0', name, "", Meta::default(), data)
    }
    pub fn file_m(&mut self, name: &str, data: &[u8], m: Meta) -> &mut Self {
        self.entry(b'0', name, "", m, data)
    }
    pub fn dir(&mut self, name: &str) -> &mut Self {
        self.entry(
            b'5',
            name,
            "",
            Meta {
                mode: 0o755,
                ..Meta::default()
            },
            b"",
        )
    }
    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(
            b'2',
            name,
            target,
            Meta {
                mode: 0o777,
                ..Meta::default()
            },
            b"",
        )
    }
    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(b'1', name, target, Meta::default(), b"")
    }

    /// A PAX extended header for the next entry.
    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        let mut body = Vec::new();
        for (k, v) in records {
            let rest = format!(" {k}=").len() + v.len() + 1;
            let mut len = rest + 1;
            while len.to_string().len() + rest != len {
                len = len.to_string().len() + rest;
            }
            body.extend_from_slice(format!("{len} {k}=").as_bytes());
            body.extend_from_slice(v);
            body.push(b'\n');
        }
        self.entry(b'x', "PaxHeaders.0/x", "", Meta::default(), &body)
    }

    /// A GNU long-name record for the next entry.
    pub fn gnu_long_name(&mut self, name: &str) -> &mut Self {
        let mut data = name.as_bytes().to_vec();
        data.push(0);
        self.entry(b'L', "././@LongLink", "", Meta::default(), &data)
    }

    /// The end-of-archive marker plus `extra` zero bytes (GNU tar pads to records).
    pub fn finish_with(&mut self, extra: usize) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        out.extend(std::iter::repeat_n(0u8, 1024 + extra));
        out
    }

    pub fn finish(&mut self) -> Vec<u8> {
        self.finish_with(0)
    }
}

/// An image config for these layers (`salt` varies the ID).
pub fn config(layers: &[&[u8]], salt: &str) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let history: Vec<serde_json::Value> = layers
        .iter()
        .enumerate()
        .map(|(i, _)| serde_json::json!({"created": "2026-01-01T00:00:00Z", "created_by": format!("step {i}")}))
        .chain(std::iter::once(
            serde_json::json!({"created": "2026-01-01T00:00:01Z", "created_by": "CMD [\"sh\"]", "empty_layer": true}),
        ))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2026-01-01T00:00:01.5Z",
        "comment": salt,
        "config": {"Cmd": ["sh"], "Labels": {"salt": salt}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .expect("json")
}

pub fn image_id(config: &[u8]) -> Digest {
    Digest::parse(&sha(config)).expect("digest")
}

fn add(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, path, data).expect("append");
}

/// One image of an archive.
pub struct Img<'a> {
    pub config: Vec<u8>,
    pub layers: Vec<&'a [u8]>,
    pub tags: Vec<&'a str>,
}

/// A docker-archive with layers first (as `docker save` orders them), then configs, then
/// `manifest.json`.
pub fn docker_archive(images: &[Img]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    let mut written = std::collections::HashSet::new();
    for img in images {
        let mut paths = Vec::new();
        for l in &img.layers {
            let dir = &sha(l)[7..];
            let p = format!("{dir}/layer.tar");
            if written.insert(p.clone()) {
                add(&mut b, &format!("{dir}/VERSION"), b"1.0");
                add(&mut b, &p, l);
            }
            paths.push(p);
        }
        let cfg_name = format!("{}.json", &sha(&img.config)[7..]);
        add(&mut b, &cfg_name, &img.config);
        manifest
            .push(serde_json::json!({"Config": cfg_name, "RepoTags": img.tags, "Layers": paths}));
    }
    add(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).expect("json"),
    );
    b.into_inner().expect("tar")
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// An OCI image layout with gzip-compressed layers; index first.
pub fn oci_layout(img: &Img, name: Option<&str>) -> Vec<u8> {
    let blobs: Vec<Vec<u8>> = img.layers.iter().map(|l| gzip(l)).collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&img.config), "size": img.config.len()},
        "layers": blobs.iter().map(|b| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(b), "size": b.len()
        })).collect::<Vec<_>>(),
    }))
    .expect("json");
    let mut annotations = serde_json::Map::new();
    if let Some(n) = name {
        annotations.insert("io.containerd.image.name".into(), n.into());
        annotations.insert("org.opencontainers.image.ref.name".into(), "latest".into());
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha(&manifest), "size": manifest.len(), "annotations": annotations,
        }],
    }))
    .expect("json");
    let mut b = tar::Builder::new(Vec::new());
    add(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    add(&mut b, "index.json", &index);
    add(
        &mut b,
        &format!("blobs/sha256/{}", &sha(&manifest)[7..]),
        &manifest,
    );
    add(
        &mut b,
        &format!("blobs/sha256/{}", &sha(&img.config)[7..]),
        &img.config,
    );
    for blob in &blobs {
        add(&mut b, &format!("blobs/sha256/{}", &sha(blob)[7..]), blob);
    }
    b.into_inner().expect("tar")
}

/// A small base layer: a few files and dirs.
pub fn base_layer() -> Vec<u8> {
    RawTar::new()
        .dir("bin/")
        .file_m(
            "bin/sh",
            b"#!fake shell\n",
            Meta {
                mode: 0o755,
                ..Meta::default()
            },
        )
        .dir("etc/")
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        .finish()
}

/// Every path under `dir` (relative), sorted.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                out.push(p.strip_prefix(base).expect("prefix").display().to_string());
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    walk(base, &p, out);
                }
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub fn no_progress() -> impl FnMut(graph::LoadProgress) {
    |_| {}
}

/// Everything about the files under `dir` a layer comparison cares about, one line per path:
/// type, mode, owner, size, device, modification time, xattrs, and content or link target.
/// Times the tar does not give (whiteouts, parents it implies) are the extraction's own: those
/// of the last day show as `now`.
pub fn snapshot(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let recent = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        - 86_400;
    tree(dir)
        .into_iter()
        .map(|rel| {
            let p = dir.join(&rel);
            let m = std::fs::symlink_metadata(&p).expect("lstat");
            let what = if m.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&p).expect("link").display())
            } else if m.is_file() {
                sha(&std::fs::read(&p).expect("read"))
            } else {
                String::new()
            };
            let mut xattrs: Vec<String> = xattr::list(&p)
                .map(|l| l.map(|n| n.to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            xattrs.sort();
            let xattrs: Vec<String> = xattrs
                .into_iter()
                .map(|n| {
                    let v = xattr::get(&p, &n).ok().flatten().unwrap_or_default();
                    format!("{n}={}", String::from_utf8_lossy(&v))
                })
                .collect();
            let mtime = match m.mtime() > recent {
                true => "now".to_string(),
                false => format!("{}.{}", m.mtime(), m.mtime_nsec()),
            };
            format!(
                "{rel} mode={:o} {}:{} size={} rdev={} mtime={mtime} {xattrs:?} {what}",
                m.mode(),
                m.uid(),
                m.gid(),
                if m.is_dir() { 0 } else { m.size() },
                m.rdev(),
            )
        })
        .collect()
}

/// The fault points of a commit, in order (see `ImageStore::set_fault_hook`).
pub const COMMIT_STEPS: [&str; 3] = ["after-gc-mark", "after-install", "after-commit"];

/// Ends this process as a crash would.
pub fn kill_self() {
    nix::sys::signal::kill(nix::unistd::getpid(), nix::sys::signal::Signal::SIGKILL).expect("kill");
}

/// Runs the test `name` of this binary as a child with `env=spec` and checks that it was
/// killed by SIGKILL (by [`kill_self`]).
pub fn run_killed_child(name: &str, env: &str, spec: &str) {
    use std::os::unix::process::ExitStatusExt;
    let exe = std::env::current_exe().expect("test binary");
    let status = std::process::Command::new(&exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(env, spec)
        .status()
        .expect("spawn child");
    assert_eq!(
        status.signal(),
        Some(9),
        "child {spec} was not killed: {status:?}"
    );
}

//! Test images made at test time from real parts (Debian's `busybox-static`), never committed.
//!
//! Every byte is deterministic (fixed times, owners and order), so an image's ID is the same in
//! every run and on every machine with the same busybox binary.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Where Debian's `busybox-static` installs the static binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// A fixed creation time for fixtures: 2026-01-01T00:00:00Z.
const EPOCH: u64 = 1_767_225_600;
/// When every fixture was made (fixed, so its image ID is the same on every host).
pub const CREATED: &str = "2026-01-01T00:00:00Z";

/// An image built in memory: its layers (uncompressed tars), config and tags.
#[derive(Debug, Clone)]
pub struct Image {
    /// Each layer's tar bytes, bottom first.
    pub layers: Vec<Vec<u8>>,
    /// The config JSON bytes (the image ID is their sha256).
    pub config: Vec<u8>,
    /// `name:tag` references to record in the archive.
    pub tags: Vec<String>,
}

impl Image {
    /// `sha256:<hex>` of the config.
    pub fn id(&self) -> String {
        format!("sha256:{}", sha256_hex(&self.config))
    }

    /// `sha256:<hex>` of each layer, bottom first.
    pub fn diff_ids(&self) -> Vec<String> {
        self.layers
            .iter()
            .map(|l| format!("sha256:{}", sha256_hex(l)))
            .collect()
    }

    /// Writes a docker-archive (`docker save` format: `manifest.json`, config, layer tars).
    pub fn write_docker_archive(&self, path: &Path) -> Result<PathBuf> {
        let mut b = tar::Builder::new(Vec::new());
        let config_name = format!("{}.json", sha256_hex(&self.config));
        let mut layer_paths = Vec::new();
        for layer in &self.layers {
            let dir = sha256_hex(layer);
            add_dir(&mut b, &format!("{dir}/"))?;
            add_file(&mut b, &format!("{dir}/VERSION"), b"1.0", 0o644)?;
            add_file(&mut b, &format!("{dir}/layer.tar"), layer, 0o644)?;
            layer_paths.push(format!("{dir}/layer.tar"));
        }
        add_file(&mut b, &config_name, &self.config, 0o644)?;
        let manifest =
            json!([{ "Config": config_name, "RepoTags": self.tags, "Layers": layer_paths }]);
        add_file(
            &mut b,
            "manifest.json",
            &serde_json::to_vec(&manifest)?,
            0o644,
        )?;
        write_out(path, b)
    }

    /// Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`).
    pub fn write_oci_layout(&self, path: &Path) -> Result<PathBuf> {
        let mut b = tar::Builder::new(Vec::new());
        add_file(
            &mut b,
            "oci-layout",
            br#"{"imageLayoutVersion":"1.0.0"}"#,
            0o644,
        )?;
        add_dir(&mut b, "blobs/")?;
        add_dir(&mut b, "blobs/sha256/")?;
        let mut layer_descs = Vec::new();
        for layer in &self.layers {
            let hex = sha256_hex(layer);
            add_file(&mut b, &format!("blobs/sha256/{hex}"), layer, 0o644)?;
            layer_descs.push(json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": format!("sha256:{hex}"),
                "size": layer.len(),
            }));
        }
        let config_hex = sha256_hex(&self.config);
        add_file(
            &mut b,
            &format!("blobs/sha256/{config_hex}"),
            &self.config,
            0o644,
        )?;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": format!("sha256:{config_hex}"),
                "size": self.config.len(),
            },
            "layers": layer_descs,
        }))?;
        let manifest_hex = sha256_hex(&manifest);
        add_file(
            &mut b,
            &format!("blobs/sha256/{manifest_hex}"),
            &manifest,
            0o644,
        )?;
        let manifests: Vec<Value> = self
            .tags
            .iter()
            .map(|t| {
                json!({
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": format!("sha256:{manifest_hex}"),
                    "size": manifest.len(),
                    "annotations": {
                        "io.containerd.image.name": format!("docker.io/library/{t}"),
                        "org.opencontainers.image.ref.name": t.rsplit_once(':').map_or("latest", |(_, tag)| tag),
                    },
                })
            })
            .collect();
        let index = json!({ "schemaVersion": 2, "manifests": manifests });
        add_file(&mut b, "index.json", &serde_json::to_vec(&index)?, 0o644)?;
        write_out(path, b)
    }
}

/// The busybox image: a rootfs with the static busybox, its applet links, `/etc/passwd` and
/// `/etc/group`, and `Cmd ["sh"]`, tagged `busybox:latest`.
pub fn busybox() -> Result<Image> {
    let layer = busybox_layer()?;
    let config = config(
        &[&layer],
        json!({ "Env": [PATH_ENV], "Cmd": ["sh"] }),
        &[
            json!({ "created": CREATED, "comment": "wharf fixture: busybox from Debian busybox-static" }),
        ],
    )?;
    Ok(Image {
        layers: vec![layer],
        config,
        tags: vec!["busybox:latest".into()],
    })
}

/// A multi-layer image on top of busybox, tagged `layered:1`: later layers delete a file
/// (whiteout), replace a directory (opaque whiteout), and add a hard link, a symlink and a
/// setuid file.
pub fn layered() -> Result<Image> {
    let base = busybox_layer()?;

    let mut b = builder();
    for d in ["app/", "app/bin/", "app/data/", "app/old/", "app/old/sub/"] {
        add_dir(&mut b, d)?;
    }
    add_file(&mut b, "app/data/todelete", b"delete me\n", 0o644)?;
    add_file(&mut b, "app/data/keep", b"keep me\n", 0o644)?;
    add_file(&mut b, "app/old/a", b"old a\n", 0o644)?;
    add_file(&mut b, "app/old/sub/b", b"old b\n", 0o644)?;
    let l2 = b.into_inner()?;

    let mut b = builder();
    add_dir(&mut b, "app/")?;
    add_dir(&mut b, "app/data/")?;
    add_file(&mut b, "app/data/.wh.todelete", b"", 0o644)?;
    add_dir(&mut b, "app/old/")?;
    add_file(&mut b, "app/old/.wh..wh..opq", b"", 0o644)?;
    add_file(&mut b, "app/old/new", b"new\n", 0o644)?;
    let l3 = b.into_inner()?;

    let mut b = builder();
    add_dir(&mut b, "app/")?;
    add_dir(&mut b, "app/bin/")?;
    add_file(&mut b, "app/bin/suid", b"#!/bin/sh\necho suid\n", 0o4755)?;
    add_link(&mut b, tar::EntryType::Symlink, "app/bin/link", "suid")?;
    add_dir(&mut b, "app/data/")?;
    add_file(&mut b, "app/data/orig", b"linked\n", 0o644)?;
    add_link(
        &mut b,
        tar::EntryType::Link,
        "app/data/hard",
        "app/data/orig",
    )?;
    let l4 = b.into_inner()?;

    let step = |by: &str| json!({ "created": CREATED, "created_by": by });
    let config = config(
        &[&base, &l2, &l3, &l4],
        json!({
            "Env": [PATH_ENV, "GREETING=hello"],
            "Entrypoint": ["/bin/sh", "-c"],
            "Cmd": ["echo $GREETING from layered"],
            "WorkingDir": "/app",
            "Labels": { "org.example.fixture": "layered" },
        }),
        &[
            json!({ "created": CREATED, "comment": "wharf fixture: busybox from Debian busybox-static" }),
            step("/bin/sh -c mkdir -p /app/bin /app/data /app/old/sub && echo ..."),
            step("/bin/sh -c rm /app/data/todelete && rm -rf /app/old && mkdir /app/old ..."),
            step("/bin/sh -c ln /app/data/orig /app/data/hard && chmod u+s /app/bin/suid"),
            json!({ "created": CREATED, "created_by": "/bin/sh -c #(nop) WORKDIR /app", "empty_layer": true }),
        ],
    )?;
    Ok(Image {
        layers: vec![base, l2, l3, l4],
        config,
        tags: vec!["layered:1".into()],
    })
}

const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The busybox rootfs as one layer tar.
pub fn busybox_layer() -> Result<Vec<u8>> {
    let binary = std::fs::read(BUSYBOX)
        .with_context(|| format!("reading {BUSYBOX} (install busybox-static)"))?;
    let out = std::process::Command::new(BUSYBOX)
        .arg("--list-full")
        .output()
        .context("listing busybox applets")?;
    let mut applets: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|a| a != "bin/busybox")
        .collect();
    applets.sort();
    let mut b = builder();
    for d in [
        "bin/",
        "dev/",
        "etc/",
        "home/",
        "proc/",
        "root/",
        "sbin/",
        "sys/",
        "usr/",
        "usr/bin/",
        "usr/sbin/",
        "var/",
    ] {
        add_dir(&mut b, d)?;
    }
    add_entry(&mut b, "tmp/", &[], 0o1777, tar::EntryType::Directory, None)?;
    add_file(&mut b, "bin/busybox", &binary, 0o755)?;
    for applet in &applets {
        add_link(&mut b, tar::EntryType::Symlink, applet, "/bin/busybox")?;
    }
    add_file(
        &mut b,
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        0o644,
    )?;
    add_file(&mut b, "etc/group", b"root:x:0:\nnogroup:x:65534:\n", 0o644)?;
    Ok(b.into_inner()?)
}

/// A deterministic rootfs tar of `files` (path, contents), for import tests.
pub fn rootfs_tar(files: &[(&str, &[u8])]) -> Result<Vec<u8>> {
    let mut b = builder();
    for (path, data) in files {
        add_file(&mut b, path, data, 0o644)?;
    }
    Ok(b.into_inner()?)
}

/// The sha256 of `data`, in hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn config(layers: &[&[u8]], container: Value, history: &[Value]) -> Result<Vec<u8>> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    image_config(&diff_ids, container, history)
}

/// A fixture's image config (linux/amd64, made at [`CREATED`]) for layers of these diff IDs.
pub fn image_config(diff_ids: &[String], container: Value, history: &[Value]) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(&json!({
        "architecture": "amd64",
        "config": container,
        "created": CREATED,
        "history": history,
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    }))?)
}

fn builder() -> tar::Builder<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    b
}

fn add_entry(
    b: &mut tar::Builder<Vec<u8>>,
    path: &str,
    data: &[u8],
    mode: u32,
    kind: tar::EntryType,
    link: Option<&str>,
) -> Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(EPOCH);
    h.set_size(data.len() as u64);
    if let Some(target) = link {
        h.set_link_name(target)?;
    }
    b.append_data(&mut h, path, data)?;
    Ok(())
}

fn add_dir(b: &mut tar::Builder<Vec<u8>>, path: &str) -> Result<()> {
    add_entry(b, path, &[], 0o755, tar::EntryType::Directory, None)
}

fn add_file(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8], mode: u32) -> Result<()> {
    add_entry(b, path, data, mode, tar::EntryType::Regular, None)
}

fn add_link(
    b: &mut tar::Builder<Vec<u8>>,
    kind: tar::EntryType,
    path: &str,
    target: &str,
) -> Result<()> {
    add_entry(b, path, &[], 0o777, kind, Some(target))
}

fn write_out(path: &Path, b: tar::Builder<Vec<u8>>) -> Result<PathBuf> {
    let bytes = b.into_inner()?;
    let mut f =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(&bytes)?;
    Ok(path.to_path_buf())
}

/// busybox with `VOLUME /data`, tagged `volume:1`: its `/data` holds `hello` (owned by 65534,
/// mode 0640) and a directory `sub/`; and, when `hostile`, tagged `volume-link:1`, `/data` is
/// instead a symlink to `/etc` (absolute: a copy-up that followed it on the host would read
/// the host's `/etc`).
pub fn with_volume(hostile: bool) -> Result<Image> {
    let base = busybox_layer()?;
    let mut b = builder();
    if hostile {
        add_link(&mut b, tar::EntryType::Symlink, "data", "/etc")?;
    } else {
        add_dir(&mut b, "data/")?;
        add_dir(&mut b, "data/sub/")?;
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o640);
        h.set_uid(65534);
        h.set_gid(65534);
        h.set_mtime(EPOCH);
        let data = b"hello from the image\n";
        h.set_size(data.len() as u64);
        b.append_data(&mut h, "data/hello", &data[..])?;
    }
    let top = b.into_inner()?;
    let config = config(
        &[&base, &top],
        json!({
            "Env": [PATH_ENV],
            "Cmd": ["sh"],
            "Volumes": { "/data": {} },
        }),
        &[
            json!({ "created": CREATED, "comment": "wharf fixture: busybox from Debian busybox-static" }),
            json!({ "created": CREATED, "created_by": "/bin/sh -c #(nop) VOLUME [/data]" }),
        ],
    )?;
    let tag = if hostile { "volume-link:1" } else { "volume:1" };
    Ok(Image {
        layers: vec![base, top],
        config,
        tags: vec![tag.into()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_deterministic_and_consistent() {
        let a = busybox().unwrap();
        let b = busybox().unwrap();
        assert_eq!(a.id(), b.id());
        let config: Value = serde_json::from_slice(&a.config).unwrap();
        assert_eq!(config["rootfs"]["diff_ids"][0], a.diff_ids()[0]);
        let l = layered().unwrap();
        assert_eq!(l.layers.len(), 4);
        assert_eq!(l.layers[0], a.layers[0]);
        let dir = tempfile::tempdir().unwrap();
        let p = l.write_docker_archive(&dir.path().join("l.tar")).unwrap();
        let mut ar = tar::Archive::new(std::fs::File::open(p).unwrap());
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert!(names.contains(&"manifest.json".to_owned()));
        l.write_oci_layout(&dir.path().join("o.tar")).unwrap();
    }
}

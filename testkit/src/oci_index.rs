//! A multi-platform image as an OCI archive (`oci-archive:` for skopeo): one image per
//! platform under an OCI index, the index named in `index.json` so that
//! `skopeo copy --all oci-archive:PATH:NAME docker://...` pushes the whole index.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::fixtures::{Image, sha256_hex};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// `image` with its config saying another platform (`os`, `architecture`, `variant`), so each
/// platform's image has its own config digest and ID.
pub fn for_platform(image: &Image, os: &str, architecture: &str, variant: &str) -> Result<Image> {
    let mut config: Value = serde_json::from_slice(&image.config).context("fixture config")?;
    config["os"] = json!(os);
    config["architecture"] = json!(architecture);
    if !variant.is_empty() {
        config["variant"] = json!(variant);
    }
    Ok(Image {
        layers: image.layers.clone(),
        config: serde_json::to_vec(&config)?,
        tags: image.tags.clone(),
    })
}

/// Writes an OCI archive at `path` whose index `name` lists `images`, each with the platform
/// (`os/arch[/variant]`) given beside it. Returns the index's digest.
pub fn write_oci_index_archive(
    path: &Path,
    name: &str,
    images: &[(&Image, &str)],
) -> Result<String> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    let mut written = std::collections::BTreeSet::new();
    let mut blob = |b: &mut tar::Builder<Vec<u8>>, bytes: &[u8]| -> Result<String> {
        let hex = sha256_hex(bytes);
        if written.insert(hex.clone()) {
            add(b, &format!("blobs/sha256/{hex}"), bytes)?;
        }
        Ok(format!("sha256:{hex}"))
    };
    add(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let mut entries = Vec::new();
    for (image, platform) in images {
        let mut layers = Vec::new();
        for layer in &image.layers {
            layers.push(json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": blob(&mut b, layer)?,
                "size": layer.len(),
            }));
        }
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": blob(&mut b, &image.config)?,
                "size": image.config.len(),
            },
            "layers": layers,
        }))?;
        let mut parts = platform.split('/');
        let mut p = json!({
            "os": parts.next().unwrap_or("linux"),
            "architecture": parts.next().unwrap_or("amd64"),
        });
        if let Some(v) = parts.next() {
            p["variant"] = json!(v);
        }
        entries.push(json!({
            "mediaType": OCI_MANIFEST,
            "digest": blob(&mut b, &manifest)?,
            "size": manifest.len(),
            "platform": p,
        }));
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": entries,
    }))?;
    let index_digest = blob(&mut b, &index)?;
    let top = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": OCI_INDEX,
            "digest": index_digest,
            "size": index.len(),
            "annotations": { "org.opencontainers.image.ref.name": name },
        }],
    });
    add(&mut b, "index.json", &serde_json::to_vec(&top)?)?;
    let bytes = b.into_inner()?;
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(index_digest)
}

fn add(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) -> Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_mtime(0);
    b.append_data(&mut h, path, data)?;
    Ok(())
}

//! The two archive formats `load` accepts, turned into a list of images to store.
//!
//! - docker-archive: `manifest.json` = `[{"Config", "RepoTags", "Layers", "Parent"}]`
//!   (what `docker save` writes; Docker ≥ 25 adds an OCI layout alongside, and `manifest.json`
//!   is preferred as Docker does).
//! - OCI image layout: `index.json` → manifests (or nested indexes, resolved to the host
//!   platform) → config and layer blobs under `blobs/sha256/`.

use std::collections::HashMap;

use serde::Deserialize;

use super::archive::Members;
use super::platform::go_arch;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::reference::Reference;

/// One image found in an archive.
pub(crate) struct Plan {
    /// Exact config bytes.
    pub config: Vec<u8>,
    /// Where each layer is, bottom first.
    pub layers: Vec<LayerRef>,
    /// Tags to set.
    pub tags: Vec<Reference>,
    /// Parent image ID hint (docker-archive `Parent`).
    pub parent: Option<String>,
}

/// A layer member and, for OCI, the digest its blob must have.
pub(crate) struct LayerRef {
    pub member: String,
    pub blob: Option<Digest>,
}

#[derive(Deserialize)]
struct ManifestItem {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
    #[serde(rename = "Parent", default)]
    parent: Option<String>,
}

#[derive(Deserialize)]
struct Index {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize, Clone)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    annotations: HashMap<String, String>,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Deserialize, Clone)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
}

#[derive(Deserialize)]
struct Manifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::bad(format!("invalid archive: {}", msg.into()))
}

/// Finds the images in an archive's members.
pub(crate) fn plans(members: &Members) -> Result<Vec<Plan>> {
    if let Some(m) = members.bytes("manifest.json") {
        return docker_archive(members, m);
    }
    if let Some(i) = members.bytes("index.json") {
        return oci_layout(members, i);
    }
    Err(invalid(
        "no manifest.json or index.json found; is it a docker save or OCI image archive?",
    ))
}

fn docker_archive(members: &Members, manifest: &[u8]) -> Result<Vec<Plan>> {
    let items: Vec<ManifestItem> =
        serde_json::from_slice(manifest).map_err(|e| invalid(format!("manifest.json: {e}")))?;
    let mut out = Vec::new();
    for item in items {
        let config = members
            .bytes(&item.config)
            .ok_or_else(|| invalid(format!("config {} not found", item.config)))?
            .to_vec();
        let mut tags = Vec::new();
        for t in item.repo_tags.unwrap_or_default() {
            let r = Reference::parse_normalized(&t)?;
            if r.tag().is_none() || r.digest().is_some() {
                return Err(Error::bad(format!("invalid tag {t:?}")));
            }
            tags.push(r);
        }
        let layers = item
            .layers
            .into_iter()
            .map(|member| LayerRef { member, blob: None })
            .collect();
        out.push(Plan {
            config,
            layers,
            tags,
            parent: item.parent,
        });
    }
    Ok(out)
}

fn blob_path(digest: &str) -> Result<String> {
    let d = Digest::parse(digest)?;
    Ok(format!("blobs/sha256/{}", d.hex()))
}

fn blob<'a>(members: &'a Members, digest: &str) -> Result<&'a [u8]> {
    let path = blob_path(digest)?;
    let bytes = members
        .bytes(&path)
        .ok_or_else(|| invalid(format!("blob {digest} not found")))?;
    if Digest::of(bytes).as_str() != digest {
        return Err(invalid(format!("blob {digest} does not match its digest")));
    }
    Ok(bytes)
}

fn is_index(d: &Descriptor, bytes: &[u8]) -> bool {
    match d.media_type.as_str() {
        "application/vnd.oci.image.index.v1+json"
        | "application/vnd.docker.distribution.manifest.list.v2+json" => true,
        "" => serde_json::from_slice::<serde_json::Value>(bytes)
            .is_ok_and(|v| v.get("manifests").is_some()),
        _ => false,
    }
}

fn oci_layout(members: &Members, index: &[u8]) -> Result<Vec<Plan>> {
    let index: Index =
        serde_json::from_slice(index).map_err(|e| invalid(format!("index.json: {e}")))?;
    let mut out = Vec::new();
    for top in &index.manifests {
        let tags = oci_tags(top)?;
        let mut desc = top.clone();
        let mut bytes = blob(members, &desc.digest)?;
        for _ in 0..4 {
            if !is_index(&desc, bytes) {
                break;
            }
            let nested: Index = serde_json::from_slice(bytes)
                .map_err(|e| invalid(format!("index {}: {e}", desc.digest)))?;
            let arch = go_arch();
            let pick = nested
                .manifests
                .iter()
                .find(|m| {
                    m.platform
                        .as_ref()
                        .is_some_and(|p| p.os == "linux" && p.architecture == arch)
                })
                .or_else(|| {
                    if nested.manifests.len() == 1 {
                        nested.manifests.first()
                    } else {
                        None
                    }
                })
                .ok_or_else(|| {
                    invalid(format!(
                        "index {} has no manifest for linux/{arch}",
                        desc.digest
                    ))
                })?;
            desc = pick.clone();
            bytes = blob(members, &desc.digest)?;
        }
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| invalid(format!("manifest {}: {e}", desc.digest)))?;
        let config = blob(members, &manifest.config.digest)?.to_vec();
        let layers = manifest
            .layers
            .iter()
            .map(|l| {
                Ok(LayerRef {
                    member: blob_path(&l.digest)?,
                    blob: Some(Digest::parse(&l.digest)?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(Plan {
            config,
            layers,
            tags,
            parent: None,
        });
    }
    Ok(out)
}

/// The tag of an index entry: `io.containerd.image.name`, or `org.opencontainers.image.ref.name`
/// when it is a full reference (a bare tag like `latest` names no repository).
fn oci_tags(d: &Descriptor) -> Result<Vec<Reference>> {
    if let Some(name) = d.annotations.get("io.containerd.image.name") {
        return Ok(vec![Reference::parse_normalized(name)?.with_default_tag()]);
    }
    if let Some(name) = d.annotations.get("org.opencontainers.image.ref.name")
        && (name.contains('/') || name.contains(':'))
        && let Ok(r) = Reference::parse_normalized(name)
        && r.digest().is_none()
    {
        return Ok(vec![r.with_default_tag()]);
    }
    Ok(Vec::new())
}

//! Manifests and indexes: reading what a registry sent (by its `Content-Type`, else by its
//! own `mediaType` and shape, as distribution's client decides), and writing the Docker
//! schema 2 manifest a push sends, byte for byte as dockerd writes it.

pub mod media;
pub mod platform;

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::{Digest, Error};

/// A content descriptor: what a manifest says of its config and layers, and an index of its
/// manifests. Fields in distribution's order, which is the order dockerd writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    /// The media type.
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// The size in bytes.
    pub size: u64,
    /// The digest.
    pub digest: Digest,
    /// Where a foreign layer may be fetched from (ignored on Linux, as dockerd ignores it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// The platform of an index entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

impl Descriptor {
    /// A descriptor of `media_type` for content of `size` bytes with `digest`.
    pub fn new(media_type: &str, size: u64, digest: Digest) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            size,
            digest,
            urls: Vec::new(),
            annotations: None,
            platform: None,
        }
    }
}

/// An index entry's platform.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Platform {
    /// `amd64`, `arm64`...
    #[serde(default)]
    pub architecture: String,
    /// `linux`, `windows`...
    #[serde(default)]
    pub os: String,
    /// The OS version (Windows).
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub os_version: String,
    /// OS features (Windows).
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// `v7`, `v8`...
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    /// Features (reserved).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// An image manifest (Docker schema 2 or OCI): a config and layers, bottom first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageManifest {
    /// Always 2.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// The manifest's media type.
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// The image config.
    pub config: Descriptor,
    /// The layers, bottom first.
    pub layers: Vec<Descriptor>,
}

impl ImageManifest {
    /// A Docker schema 2 manifest of a config and layers.
    pub fn docker_schema2(config: Descriptor, layers: Vec<Descriptor>) -> ImageManifest {
        ImageManifest {
            schema_version: 2,
            media_type: media::DOCKER_MANIFEST.to_owned(),
            config,
            layers,
        }
    }

    /// The manifest's bytes as dockerd writes them (Go's `json.MarshalIndent` with three
    /// spaces), so a push's digest equals dockerd's for the same image.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"   ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        self.serialize(&mut ser)
            .expect("a manifest always serialises");
        Bytes::from(out)
    }
}

/// An index (OCI image index or Docker manifest list): one manifest per platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageIndex {
    /// Always 2.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    /// The index's media type.
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// The manifests.
    pub manifests: Vec<Descriptor>,
}

/// A manifest as fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// An image manifest.
    Image(Box<ImageManifest>),
    /// An index of manifests.
    Index(ImageIndex),
}

/// Enough of any manifest's JSON to tell what it is.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "schemaVersion", default)]
    schema_version: u32,
    #[serde(rename = "mediaType", default)]
    media_type: String,
    manifests: Option<serde_json::Value>,
    config: Option<serde_json::Value>,
}

/// Reads a manifest of `content_type` (the answer's header, parameters allowed). `reference`
/// is the full reference, for the schema 1 refusal.
pub fn parse(content_type: &str, bytes: &[u8], reference: &str) -> Result<Manifest, Error> {
    let header = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| Error::Malformed {
        what: "manifest",
        detail: e.to_string(),
    })?;
    // A generic or missing header defers to the document itself.
    let media_type = if header.is_empty() || header == "application/json" || header == "text/plain"
    {
        if probe.schema_version == 1 {
            media::SCHEMA1_SIGNED.to_owned()
        } else if !probe.media_type.is_empty() {
            probe.media_type.clone()
        } else if probe.manifests.is_some() {
            media::OCI_INDEX.to_owned()
        } else if probe.config.is_some() {
            media::OCI_MANIFEST.to_owned()
        } else {
            return Err(Error::UnsupportedManifest(header));
        }
    } else {
        header
    };
    let malformed = |what, e: serde_json::Error| Error::Malformed {
        what,
        detail: e.to_string(),
    };
    match media_type.as_str() {
        media::SCHEMA1 | media::SCHEMA1_SIGNED => Err(Error::Schema1 {
            reference: reference.to_owned(),
        }),
        media::DOCKER_MANIFEST | media::OCI_MANIFEST => {
            check_embedded_type(&probe.media_type, &media_type)?;
            let mut m: ImageManifest =
                serde_json::from_slice(bytes).map_err(|e| malformed("manifest", e))?;
            m.media_type = media_type;
            Ok(Manifest::Image(Box::new(m)))
        }
        media::DOCKER_MANIFEST_LIST | media::OCI_INDEX => {
            check_embedded_type(&probe.media_type, &media_type)?;
            let mut i: ImageIndex =
                serde_json::from_slice(bytes).map_err(|e| malformed("manifest list", e))?;
            i.media_type = media_type;
            Ok(Manifest::Index(i))
        }
        other => Err(Error::UnsupportedManifest(other.to_owned())),
    }
}

/// A manifest whose own `mediaType` contradicts the header is refused, as distribution's
/// unmarshallers refuse it.
fn check_embedded_type(embedded: &str, header: &str) -> Result<(), Error> {
    if embedded.is_empty() || embedded == header {
        Ok(())
    } else {
        Err(Error::Malformed {
            what: "manifest",
            detail: format!("mediaType in manifest should be '{header}' not '{embedded}'"),
        })
    }
}

#[cfg(test)]
mod tests;

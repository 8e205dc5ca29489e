//! The records stored in the catalog.

use serde::{Deserialize, Serialize};

use crate::digest::{ChainId, DiffId, ImageId};

/// What the store keeps about an image besides its config bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// Chain ID of the image's top layer; `None` for an image without layers.
    pub top_layer: Option<ChainId>,
    /// The parent image, when one was recorded (docker-archive `Parent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ImageId>,
    /// Sum of the sizes of all the image's layers, in bytes.
    pub size: u64,
    /// When a tag was last added to the image (RFC 3339), as Docker's `Metadata.LastTagTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tag_time: Option<String>,
}

/// A layer: one diff on top of its parent chain, stored once and shared by reference count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// Digest of the layer's uncompressed tar.
    pub diff_id: DiffId,
    /// Chain ID of the layer below, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ChainId>,
    /// Name of the layer's directory under the driver's root (`<root>/<driver>/<cache_id>`),
    /// which also holds the layer's tar-split file.
    pub cache_id: String,
    /// Size of the layer's own content in bytes (file and symlink sizes, hard links once).
    pub size: u64,
    /// Length of the uncompressed layer tar, which `save` reproduces byte for byte.
    pub tar_size: u64,
    /// Number of images whose top layer this is plus number of layers whose parent this is.
    pub refcount: u64,
}

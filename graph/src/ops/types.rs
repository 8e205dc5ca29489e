//! Public inputs and outputs of the image operations.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::ImageConfig;
use crate::digest::{DiffId, ImageId};
use crate::reference::Reference;
use jiff::Timestamp;

/// One image a `load` stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The image ID.
    pub id: ImageId,
    /// Tags set by the archive (Docker prints `Loaded image: <familiar>` for each, or
    /// `Loaded image ID: <id>` when there is none).
    pub tags: Vec<Reference>,
}

/// Progress of a `load`, for the API's jsonmessage stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadProgress {
    /// Bytes of a layer member read so far.
    Layer {
        /// Path of the member in the archive.
        member: String,
        /// Bytes read.
        current: u64,
        /// Member size.
        total: u64,
    },
    /// A tag moved from another image (Docker prints "The image x already exists, renaming
    /// the old one with ID y to empty string").
    TagMoved {
        /// The tag, familiar form.
        reference: String,
        /// The image that had it.
        old_id: ImageId,
    },
}

/// Progress of one layer of a pull ([`crate::Pull::stage_layer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerProgress {
    /// Bytes of the blob read from the input so far. With overlay2 the layer is extracted as
    /// it is read, so this is both the download and the extraction.
    Read(u64),
    /// vfs only: the whole blob is read (kept in a file) and waits for the layer below to be
    /// staged, whose tree it is applied on.
    WaitingForParent,
    /// vfs only, after the wait: bytes of the kept blob extracted so far.
    Extracted(u64),
}

/// What a pull's commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The image ID (the digest of its config, as dockerd's).
    pub id: ImageId,
    /// True if a reference in `tags` did not name this image before (dockerd then says
    /// "Downloaded newer image", else "Image is up to date").
    pub updated: bool,
}

/// Options of `import`.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Repository and optional tag to set (`repo`, `repo:tag`); `latest` if no tag.
    pub reference: Option<String>,
    /// Commit message; the history comment is `Imported from -` when empty.
    pub message: String,
    /// The container config of the image: what `docker import --change` set (the caller
    /// applies the changes, with the Dockerfile front-end).
    pub config: crate::config::ContainerConfig,
    /// `docker_version` written in the config.
    pub engine_version: String,
    /// Architecture in Go naming; the host's when `None`.
    pub architecture: Option<String>,
    /// Operating system; `linux` when `None`.
    pub os: Option<String>,
}

/// An image as `docker images` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSummary {
    /// Image ID.
    pub id: ImageId,
    /// Recorded parent image, if any.
    pub parent: Option<ImageId>,
    /// Tags, familiar form (`busybox:latest`), sorted.
    pub repo_tags: Vec<String>,
    /// Digest references, familiar form (`busybox@sha256:…`), sorted.
    pub repo_digests: Vec<String>,
    /// Creation time from the config.
    pub created: Option<Timestamp>,
    /// Sum of the image's layer sizes.
    pub size: u64,
    /// Bytes of layers this image shares with other images; `None` unless asked for.
    pub shared_size: Option<u64>,
    /// `config.Labels`.
    pub labels: Option<BTreeMap<String, String>>,
    /// Number of containers using the image; -1 (unknown) here, the daemon fills it in.
    pub containers: i64,
    /// True if another image records this one as its parent (hidden by `docker images`
    /// without `-a` when untagged).
    pub has_children: bool,
}

/// Everything `docker image inspect` shows that the store knows.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDetails {
    /// Image ID.
    pub id: ImageId,
    /// Tags, familiar form.
    pub repo_tags: Vec<String>,
    /// Digest references, familiar form.
    pub repo_digests: Vec<String>,
    /// Recorded parent image.
    pub parent: Option<ImageId>,
    /// The parsed config.
    pub config: ImageConfig,
    /// The exact config bytes.
    pub raw_config: Vec<u8>,
    /// Sum of layer sizes.
    pub size: u64,
    /// Diff IDs of the layers, bottom first.
    pub layers: Vec<DiffId>,
    /// Storage driver name.
    pub driver: String,
    /// Driver data as Docker shows it (`LowerDir`, `UpperDir`, `MergedDir`, `WorkDir` for
    /// overlay2).
    pub driver_data: BTreeMap<String, String>,
    /// Layer content directories, top first (overlayfs `lowerdir` order).
    pub layer_dirs: Vec<PathBuf>,
    /// When a tag was last added, RFC 3339.
    pub last_tag_time: Option<String>,
}

/// One line of `docker history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The image this step produced, when it is known (`<missing>` otherwise).
    pub id: Option<ImageId>,
    /// Unix seconds.
    pub created: i64,
    /// The command.
    pub created_by: String,
    /// Tags of `id`, familiar form.
    pub tags: Vec<String>,
    /// Size of the layer the step added (0 for empty layers).
    pub size: u64,
    /// Comment.
    pub comment: String,
}

/// One line of an image removal's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// A reference was removed (familiar form).
    Untagged(String),
    /// An image or layer (chain ID) was deleted.
    Deleted(String),
}

/// Which containers count when checking whether an image is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Running containers.
    Running,
    /// Stopped (created, exited) containers.
    Stopped,
}

/// What the daemon knows about containers, asked before an image is removed.
pub trait ImageUsers {
    /// The ID of a container in `state` created from image `id`, if there is one.
    fn container_using(&self, id: &ImageId, state: ContainerState) -> Option<String>;
}

/// No containers at all (for tests and before containers exist).
pub struct NoContainers;

impl ImageUsers for NoContainers {
    fn container_using(&self, _id: &ImageId, _state: ContainerState) -> Option<String> {
        None
    }
}

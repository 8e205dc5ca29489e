//! `POST /{containers,images,volumes,networks,build}/prune` and `GET /system/df`.
//!
//! The lists are `null` when empty, as dockerd writes Go's nil slices.

use serde::Serialize;

use super::{ContainerSummary, ImageDeleteResponseItem, ImageSummary, Volume};

/// `ContainerPruneResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ContainerPruneResponse {
    /// The IDs of the containers removed.
    #[serde(rename = "ContainersDeleted")]
    pub containers_deleted: Option<Vec<String>>,
    /// Bytes freed (their writable layers).
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}

/// `ImagePruneResponse`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ImagePruneResponse {
    /// What the removals untagged and deleted, as `docker rmi` answers.
    #[serde(rename = "ImagesDeleted")]
    pub images_deleted: Option<Vec<ImageDeleteResponseItem>>,
    /// Bytes freed (the deleted layers' content).
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}

/// `VolumePruneResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct VolumePruneResponse {
    /// The names of the volumes removed.
    #[serde(rename = "VolumesDeleted")]
    pub volumes_deleted: Option<Vec<String>>,
    /// Bytes freed (their contents).
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}

/// `NetworkPruneResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct NetworkPruneResponse {
    /// The names of the networks removed.
    #[serde(rename = "NetworksDeleted")]
    pub networks_deleted: Option<Vec<String>>,
}

/// `BuildPruneResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct BuildPruneResponse {
    /// The IDs of the cache records removed.
    #[serde(rename = "CachesDeleted")]
    pub caches_deleted: Option<Vec<String>>,
    /// Bytes freed.
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}

/// `SystemDataUsageResponse`: `GET /system/df`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SystemDataUsageResponse {
    /// Bytes of every stored layer, each counted once.
    #[serde(rename = "LayersSize")]
    pub layers_size: i64,
    /// Every image, with `SharedSize` and `Containers`.
    #[serde(rename = "Images")]
    pub images: Vec<ImageSummary>,
    /// Every container, with `SizeRw` and `SizeRootFs`.
    #[serde(rename = "Containers")]
    pub containers: Vec<ContainerSummary>,
    /// Every volume, with `UsageData`.
    #[serde(rename = "Volumes")]
    pub volumes: Vec<Volume>,
    /// The build cache: wharf has none (`null`, as dockerd without a builder cache).
    #[serde(rename = "BuildCache")]
    pub build_cache: Option<Vec<BuildCache>>,
}

/// `BuildCache`: one build cache record. wharf builds nothing, so it never has one; the type
/// stands for the spec's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct BuildCache {
    /// The record's ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Bytes.
    #[serde(rename = "Size")]
    pub size: i64,
}

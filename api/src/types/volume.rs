//! `/volumes`: `Volume`, `VolumeCreateOptions`, `VolumeListResponse`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `Volume`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Volume {
    /// The volume's name.
    #[serde(rename = "Name")]
    pub name: String,
    /// `local`.
    #[serde(rename = "Driver")]
    pub driver: String,
    /// The host path containers mount (`<data-root>/volumes/<name>/_data`).
    #[serde(rename = "Mountpoint")]
    pub mountpoint: String,
    /// When it was created (RFC 3339, seconds).
    #[serde(rename = "CreatedAt", skip_serializing_if = "String::is_empty")]
    pub created_at: String,
    /// User labels.
    #[serde(rename = "Labels")]
    pub labels: BTreeMap<String, String>,
    /// `local`.
    #[serde(rename = "Scope")]
    pub scope: String,
    /// Driver options (null when none, as dockerd shows them).
    #[serde(rename = "Options")]
    pub options: Option<BTreeMap<String, String>>,
    /// Size and users, only in `GET /system/df`.
    #[serde(rename = "UsageData", skip_serializing_if = "Option::is_none")]
    pub usage_data: Option<VolumeUsageData>,
}

/// `Volume.UsageData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct VolumeUsageData {
    /// Bytes of the volume's content (files, each hard-linked one once).
    #[serde(rename = "Size")]
    pub size: i64,
    /// How many containers mount it.
    #[serde(rename = "RefCount")]
    pub ref_count: i64,
}

/// `VolumeCreateOptions`: the body of `POST /volumes/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct VolumeCreateOptions {
    /// The name; a random one when empty.
    #[serde(rename = "Name")]
    pub name: String,
    /// The driver (`local` when empty).
    #[serde(rename = "Driver")]
    pub driver: String,
    /// Driver options.
    #[serde(rename = "DriverOpts")]
    pub driver_opts: Option<BTreeMap<String, String>>,
    /// User labels.
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// `VolumeListResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct VolumeListResponse {
    /// The volumes.
    #[serde(rename = "Volumes")]
    pub volumes: Vec<Volume>,
    /// Warnings (null when none, as dockerd sends them).
    #[serde(rename = "Warnings")]
    pub warnings: Option<Vec<String>>,
}

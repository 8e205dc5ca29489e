//! `Mount`: one `HostConfig.Mounts` entry (`--mount`), as the daemon reads it.
//!
//! `HostConfig` keeps the entries as the client sent them (inspect shows them back byte for
//! byte); the daemon reads each through this type ([`Mount::from_value`]), so a request's mount
//! has one definition, checked against the spec's.

use serde::Deserialize;
use serde_json::Value;

/// `Mount`: the fields wharf reads.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Mount {
    /// The path in the container.
    #[serde(rename = "Target")]
    pub target: String,
    /// A host path (`bind`) or a volume name (`volume`); none for `tmpfs`.
    #[serde(rename = "Source")]
    pub source: String,
    /// `bind`, `volume`, `tmpfs`, `npipe`, `cluster` or `image` (any other is refused with
    /// dockerd's message, so it is read as a string).
    #[serde(rename = "Type")]
    pub kind: String,
    /// Mounted read-only.
    #[serde(rename = "ReadOnly")]
    pub read_only: bool,
    /// `bind` options.
    #[serde(rename = "BindOptions")]
    pub bind_options: Option<MountBindOptions>,
    /// `volume` options, as sent: wharf only asks whether there are any (a `bind` may have none).
    #[serde(rename = "VolumeOptions")]
    pub volume_options: Option<Value>,
    /// `tmpfs` options.
    #[serde(rename = "TmpfsOptions")]
    pub tmpfs_options: Option<MountTmpfsOptions>,
}

/// `Mount.TmpfsOptions`: the fields wharf reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct MountTmpfsOptions {
    /// The size in bytes (0: the kernel's default, half the memory).
    #[serde(rename = "SizeBytes")]
    pub size_bytes: i64,
    /// The permission bits of the mount's root (0: the kernel's default, 1777).
    #[serde(rename = "Mode")]
    pub mode: u32,
}

/// `Mount.BindOptions`: the fields wharf reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct MountBindOptions {
    /// `[r]private`, `[r]shared` or `[r]slave`; empty for the default.
    #[serde(rename = "Propagation")]
    pub propagation: String,
    /// Create the source (a directory) when it is missing.
    #[serde(rename = "CreateMountpoint")]
    pub create_mountpoint: bool,
    /// Bind only the source, not the mounts below it (`bind-recursive=disabled`).
    #[serde(rename = "NonRecursive")]
    pub non_recursive: bool,
    /// A read-only bind whose submounts stay writable (`bind-recursive=writable`).
    #[serde(rename = "ReadOnlyNonRecursive")]
    pub read_only_non_recursive: bool,
    /// A read-only bind whose submounts must be read-only too, or fail
    /// (`bind-recursive=readonly`).
    #[serde(rename = "ReadOnlyForceRecursive")]
    pub read_only_force_recursive: bool,
}

impl Mount {
    /// One `HostConfig.Mounts` entry as sent; a malformed one is the client's mistake, in
    /// Docker's words (`invalid mount config: ...`).
    pub fn from_value(value: &Value) -> Result<Mount, String> {
        Mount::deserialize(value).map_err(|e| format!("invalid mount config: {e}"))
    }
}

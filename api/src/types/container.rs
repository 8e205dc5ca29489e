//! The container endpoints' bodies: create, wait, list and inspect.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::{
    ContainerConfig, DriverData, EndpointSettings, HostConfig, NetworkSettings, NetworkingConfig,
};

/// The body of `POST /containers/create`: a `ContainerConfig` with `HostConfig` and
/// `NetworkingConfig` beside its fields. Unknown fields are ignored; `null` sections are empty.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ContainerCreateRequest {
    /// The portable configuration (`Image`, `Cmd`, `Env`, `Tty`, ...).
    #[serde(flatten)]
    pub config: ContainerConfig,
    /// The host-specific configuration.
    #[serde(rename = "HostConfig", default, deserialize_with = "null_as_default")]
    pub host_config: HostConfig,
    /// The networks to attach to.
    #[serde(
        rename = "NetworkingConfig",
        default,
        deserialize_with = "null_as_default"
    )]
    pub networking_config: NetworkingConfig,
}

/// `null` reads as the type's default, as Go's decoder leaves a zero value.
pub(super) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `ContainerCreateResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ContainerCreateResponse {
    /// The new container's full ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Warnings (always a list, never null).
    #[serde(rename = "Warnings")]
    pub warnings: Vec<String>,
}

/// `ContainerWaitResponse`, in the field order dockerd writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ContainerWaitResponse {
    /// Why waiting failed, or `null`.
    #[serde(rename = "Error")]
    pub error: Option<WaitExitError>,
    /// The exit code.
    #[serde(rename = "StatusCode")]
    pub status_code: i64,
}

impl ContainerWaitResponse {
    /// The container exited with `code`.
    pub fn exited(code: i64) -> Self {
        ContainerWaitResponse {
            error: None,
            status_code: code,
        }
    }
}

/// `ContainerWaitExitError`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct WaitExitError {
    /// What went wrong.
    #[serde(rename = "Message")]
    pub message: String,
}

/// A container's state, as `State.Status`, the summary's `State` and the `status` filter name it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ContainerStatus {
    /// Created, never started.
    #[default]
    Created,
    /// Running.
    Running,
    /// Frozen.
    Paused,
    /// Being restarted by its restart policy.
    Restarting,
    /// Being removed.
    Removing,
    /// Exited.
    Exited,
    /// Failed to be removed, or otherwise unusable.
    Dead,
}

impl ContainerStatus {
    /// Every status, in Docker's order.
    pub const ALL: [ContainerStatus; 7] = [
        ContainerStatus::Created,
        ContainerStatus::Running,
        ContainerStatus::Paused,
        ContainerStatus::Restarting,
        ContainerStatus::Removing,
        ContainerStatus::Exited,
        ContainerStatus::Dead,
    ];

    /// The wire name (`running`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerStatus::Created => "created",
            ContainerStatus::Running => "running",
            ContainerStatus::Paused => "paused",
            ContainerStatus::Restarting => "restarting",
            ContainerStatus::Removing => "removing",
            ContainerStatus::Exited => "exited",
            ContainerStatus::Dead => "dead",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for ContainerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ContainerState`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ContainerState {
    /// `created`, `running`, `exited`, ...
    #[serde(rename = "Status")]
    pub status: ContainerStatus,
    /// True while running (also while paused).
    #[serde(rename = "Running")]
    pub running: bool,
    /// Frozen.
    #[serde(rename = "Paused")]
    pub paused: bool,
    /// Being restarted by its restart policy.
    #[serde(rename = "Restarting")]
    pub restarting: bool,
    /// Its last run was killed for lack of memory.
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    /// Unusable.
    #[serde(rename = "Dead")]
    pub dead: bool,
    /// The init process's host PID (0 when not running).
    #[serde(rename = "Pid")]
    pub pid: i64,
    /// The last exit code.
    #[serde(rename = "ExitCode")]
    pub exit_code: i64,
    /// Why the last start failed, or empty.
    #[serde(rename = "Error")]
    pub error: String,
    /// RFC 3339 with nanoseconds; `0001-01-01T00:00:00Z` if never started.
    #[serde(rename = "StartedAt")]
    pub started_at: String,
    /// RFC 3339 with nanoseconds; `0001-01-01T00:00:00Z` if never exited.
    #[serde(rename = "FinishedAt")]
    pub finished_at: String,
    /// Health-check state, when the container has a health check.
    #[serde(rename = "Health", skip_serializing_if = "Option::is_none")]
    pub health: Option<serde_json::Value>,
}

/// `MountPoint`: a mount as inspect and list show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct MountPoint {
    /// `bind`, `volume`, `tmpfs`, ...
    #[serde(rename = "Type")]
    pub kind: String,
    /// The volume's name.
    #[serde(rename = "Name", skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The path on the host.
    #[serde(rename = "Source")]
    pub source: String,
    /// The path in the container.
    #[serde(rename = "Destination")]
    pub destination: String,
    /// The volume driver.
    #[serde(rename = "Driver", skip_serializing_if = "String::is_empty")]
    pub driver: String,
    /// Mount options as given (`ro,Z`).
    #[serde(rename = "Mode")]
    pub mode: String,
    /// Writable.
    #[serde(rename = "RW")]
    pub rw: bool,
    /// Bind propagation.
    #[serde(rename = "Propagation")]
    pub propagation: String,
}

/// `Port`: an exposed port, and where it is published, as `GET /containers/json` lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Port {
    /// The host address, when published.
    #[serde(rename = "IP", skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The port in the container.
    #[serde(rename = "PrivatePort")]
    pub private_port: u16,
    /// The host port, when published.
    #[serde(rename = "PublicPort", skip_serializing_if = "Option::is_none")]
    pub public_port: Option<u16>,
    /// `tcp`, `udp` or `sctp`.
    #[serde(rename = "Type")]
    pub kind: String,
}

/// `ContainerSummary`: one entry of `GET /containers/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ContainerSummary {
    /// The full ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// `/name` (and `/other/alias` for legacy links).
    #[serde(rename = "Names")]
    pub names: Vec<String>,
    /// The image as the user named it (`busybox`), or its ID if that name is gone.
    #[serde(rename = "Image")]
    pub image: String,
    /// `sha256:<hex>`.
    #[serde(rename = "ImageID")]
    pub image_id: String,
    /// Entrypoint and command joined, shell-quoted as Docker does.
    #[serde(rename = "Command")]
    pub command: String,
    /// Creation time, Unix seconds.
    #[serde(rename = "Created")]
    pub created: i64,
    /// Exposed and published ports.
    #[serde(rename = "Ports")]
    pub ports: Vec<Port>,
    /// Bytes written by the container (only with `size=1`).
    #[serde(rename = "SizeRw", skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<i64>,
    /// Bytes of the whole root filesystem (only with `size=1`).
    #[serde(rename = "SizeRootFs", skip_serializing_if = "Option::is_none")]
    pub size_root_fs: Option<i64>,
    /// Labels.
    #[serde(rename = "Labels")]
    pub labels: BTreeMap<String, String>,
    /// `running`, `exited`, ...
    #[serde(rename = "State")]
    pub state: ContainerStatus,
    /// Human status: `Up 2 minutes`, `Exited (3) 5 seconds ago`, `Created`.
    #[serde(rename = "Status")]
    pub status: String,
    /// The network mode.
    #[serde(rename = "HostConfig")]
    pub host_config: SummaryHostConfig,
    /// Network attachments.
    #[serde(rename = "NetworkSettings")]
    pub network_settings: SummaryNetworkSettings,
    /// Mounts.
    #[serde(rename = "Mounts")]
    pub mounts: Vec<MountPoint>,
}

/// `ContainerSummary.HostConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct SummaryHostConfig {
    /// `default`, `bridge`, `host`, `none`.
    #[serde(rename = "NetworkMode")]
    pub network_mode: String,
    /// Annotations, when set.
    #[serde(rename = "Annotations", skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// `ContainerSummary.NetworkSettings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct SummaryNetworkSettings {
    /// Network name → endpoint.
    #[serde(rename = "Networks")]
    pub networks: BTreeMap<String, EndpointSettings>,
}

/// `ContainerInspectResponse`: `GET /containers/{id}/json`, in the field order dockerd writes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ContainerInspect {
    /// The full ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Creation time, RFC 3339 with nanoseconds.
    #[serde(rename = "Created")]
    pub created: String,
    /// The executable (the entrypoint's or command's first word).
    #[serde(rename = "Path")]
    pub path: String,
    /// Its arguments.
    #[serde(rename = "Args")]
    pub args: Vec<String>,
    /// Running state.
    #[serde(rename = "State")]
    pub state: ContainerState,
    /// The image ID, `sha256:<hex>`.
    #[serde(rename = "Image")]
    pub image: String,
    /// The container's `resolv.conf` on the host.
    #[serde(rename = "ResolvConfPath")]
    pub resolv_conf_path: String,
    /// The container's `hostname` file on the host.
    #[serde(rename = "HostnamePath")]
    pub hostname_path: String,
    /// The container's `hosts` file on the host.
    #[serde(rename = "HostsPath")]
    pub hosts_path: String,
    /// The `json-file` log.
    #[serde(rename = "LogPath")]
    pub log_path: String,
    /// `/name`.
    #[serde(rename = "Name")]
    pub name: String,
    /// Restarts by the restart policy since the last manual start.
    #[serde(rename = "RestartCount")]
    pub restart_count: i64,
    /// The storage driver.
    #[serde(rename = "Driver")]
    pub driver: String,
    /// `linux`.
    #[serde(rename = "Platform")]
    pub platform: String,
    /// SELinux mount label (empty).
    #[serde(rename = "MountLabel")]
    pub mount_label: String,
    /// SELinux process label (empty).
    #[serde(rename = "ProcessLabel")]
    pub process_label: String,
    /// AppArmor profile (empty).
    #[serde(rename = "AppArmorProfile")]
    pub app_armor_profile: String,
    /// Running exec sessions, or null.
    #[serde(rename = "ExecIDs")]
    pub exec_ids: Option<Vec<String>>,
    /// The host configuration, with the daemon's defaults filled in.
    #[serde(rename = "HostConfig")]
    pub host_config: HostConfig,
    /// The storage driver's paths.
    #[serde(rename = "GraphDriver")]
    pub graph_driver: DriverData,
    /// Bytes written by the container (only with `size=1`).
    #[serde(rename = "SizeRw", skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<i64>,
    /// Bytes of the whole root filesystem (only with `size=1`).
    #[serde(rename = "SizeRootFs", skip_serializing_if = "Option::is_none")]
    pub size_root_fs: Option<i64>,
    /// Mounts (`[]` when none).
    #[serde(rename = "Mounts")]
    pub mounts: Vec<MountPoint>,
    /// The merged configuration (never null).
    #[serde(rename = "Config")]
    pub config: ContainerConfig,
    /// Addresses and ports.
    #[serde(rename = "NetworkSettings")]
    pub network_settings: NetworkSettings,
}

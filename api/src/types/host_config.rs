//! `HostConfig`: the non-portable half of a container's configuration, sent on create and shown
//! by inspect.
//!
//! Fields come in the order dockerd prints them. Lists and maps that Go clients send as `null`
//! are `Option`s and print as `null` when absent, as Docker does; fields Go omits when empty are
//! skipped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `HostConfig` (with the spec's `Resources` folded in).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct HostConfig {
    /// Bind mounts, `host-src:container-dest[:options]`.
    #[serde(rename = "Binds")]
    pub binds: Option<Vec<String>>,
    /// Where the CLI wrote the container's ID.
    #[serde(rename = "ContainerIDFile")]
    pub container_id_file: String,
    /// The log driver (`json-file` once created).
    #[serde(rename = "LogConfig")]
    pub log_config: LogConfig,
    /// `default`, `bridge`, `host`, `none`, `container:<id>` or a network name.
    #[serde(rename = "NetworkMode")]
    pub network_mode: String,
    /// Published ports: `"80/tcp": [{"HostIp": "", "HostPort": "8080"}]`.
    #[serde(rename = "PortBindings")]
    pub port_bindings: Option<PortMap>,
    /// What to do when the container exits.
    #[serde(rename = "RestartPolicy")]
    pub restart_policy: RestartPolicy,
    /// Remove the container when it exits (`--rm`).
    #[serde(rename = "AutoRemove")]
    pub auto_remove: bool,
    /// The volume driver.
    #[serde(rename = "VolumeDriver")]
    pub volume_driver: String,
    /// Containers whose volumes to mount.
    #[serde(rename = "VolumesFrom")]
    pub volumes_from: Option<Vec<String>>,
    /// Mounts in the `--mount` form, kept as sent (inspect shows them back as they came);
    /// each is read as a [`super::Mount`] (`Mount::from_value`), the type the spec check
    /// compares with the spec's.
    #[serde(rename = "Mounts", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(with = "Option<Vec<super::Mount>>"))]
    pub mounts: Option<Vec<Value>>,
    /// The initial console size, `[height, width]`.
    #[serde(rename = "ConsoleSize")]
    pub console_size: [u64; 2],
    /// Arbitrary key-value metadata.
    #[serde(rename = "Annotations", skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Capabilities to add.
    #[serde(rename = "CapAdd")]
    pub cap_add: Option<Vec<String>>,
    /// Capabilities to drop.
    #[serde(rename = "CapDrop")]
    pub cap_drop: Option<Vec<String>>,
    /// `private` or `host`.
    #[serde(rename = "CgroupnsMode")]
    pub cgroupns_mode: String,
    /// DNS servers.
    #[serde(rename = "Dns")]
    pub dns: Option<Vec<String>>,
    /// DNS options.
    #[serde(rename = "DnsOptions")]
    pub dns_options: Option<Vec<String>>,
    /// DNS search domains.
    #[serde(rename = "DnsSearch")]
    pub dns_search: Option<Vec<String>>,
    /// Extra `/etc/hosts` lines, `host:ip`.
    #[serde(rename = "ExtraHosts")]
    pub extra_hosts: Option<Vec<String>>,
    /// Additional groups for the process.
    #[serde(rename = "GroupAdd")]
    pub group_add: Option<Vec<String>>,
    /// `private`, `shareable`, `host`, `container:<id>`, ...
    #[serde(rename = "IpcMode")]
    pub ipc_mode: String,
    /// The cgroup to use (Windows: ignored).
    #[serde(rename = "Cgroup")]
    pub cgroup: String,
    /// Legacy links, `name:alias`.
    #[serde(rename = "Links")]
    pub links: Option<Vec<String>>,
    /// The OOM score adjustment.
    #[serde(rename = "OomScoreAdj")]
    pub oom_score_adj: i64,
    /// `""`, `host` or `container:<id>`.
    #[serde(rename = "PidMode")]
    pub pid_mode: String,
    /// Full access to the host.
    #[serde(rename = "Privileged")]
    pub privileged: bool,
    /// Publish every exposed port to a random host port (`-P`).
    #[serde(rename = "PublishAllPorts")]
    pub publish_all_ports: bool,
    /// Mount the root filesystem read-only.
    #[serde(rename = "ReadonlyRootfs")]
    pub readonly_rootfs: bool,
    /// Security options (`seccomp=...`, `no-new-privileges`, ...).
    #[serde(rename = "SecurityOpt")]
    pub security_opt: Option<Vec<String>>,
    /// Storage driver options.
    #[serde(rename = "StorageOpt", skip_serializing_if = "Option::is_none")]
    pub storage_opt: Option<BTreeMap<String, String>>,
    /// tmpfs mounts: path → options.
    #[serde(rename = "Tmpfs", skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<BTreeMap<String, String>>,
    /// `""` or `host`.
    #[serde(rename = "UTSMode")]
    pub uts_mode: String,
    /// `""` or `host`.
    #[serde(rename = "UsernsMode")]
    pub userns_mode: String,
    /// Size of `/dev/shm` in bytes (67108864 once created when 0 was asked).
    #[serde(rename = "ShmSize")]
    pub shm_size: i64,
    /// Namespaced kernel parameters.
    #[serde(rename = "Sysctls", skip_serializing_if = "Option::is_none")]
    pub sysctls: Option<BTreeMap<String, String>>,
    /// The OCI runtime (`runc` once created).
    #[serde(rename = "Runtime", skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    /// Windows only.
    #[serde(rename = "Isolation")]
    pub isolation: String,
    /// Relative CPU weight.
    #[serde(rename = "CpuShares")]
    pub cpu_shares: i64,
    /// Memory limit in bytes (0: none).
    #[serde(rename = "Memory")]
    pub memory: i64,
    /// CPU quota in units of 10⁻⁹ CPUs (`--cpus`).
    #[serde(rename = "NanoCpus")]
    pub nano_cpus: i64,
    /// The parent cgroup.
    #[serde(rename = "CgroupParent")]
    pub cgroup_parent: String,
    /// Block IO weight, 10 to 1000 (0: unset).
    #[serde(rename = "BlkioWeight")]
    pub blkio_weight: u16,
    /// Per-device block IO weights.
    #[serde(rename = "BlkioWeightDevice")]
    pub blkio_weight_device: Option<Vec<Value>>,
    /// Per-device read limits, bytes per second.
    #[serde(rename = "BlkioDeviceReadBps")]
    pub blkio_device_read_bps: Option<Vec<Value>>,
    /// Per-device write limits, bytes per second.
    #[serde(rename = "BlkioDeviceWriteBps")]
    pub blkio_device_write_bps: Option<Vec<Value>>,
    /// Per-device read limits, operations per second.
    #[serde(rename = "BlkioDeviceReadIOps")]
    pub blkio_device_read_iops: Option<Vec<Value>>,
    /// Per-device write limits, operations per second.
    #[serde(rename = "BlkioDeviceWriteIOps")]
    pub blkio_device_write_iops: Option<Vec<Value>>,
    /// CFS period in microseconds.
    #[serde(rename = "CpuPeriod")]
    pub cpu_period: i64,
    /// CFS quota in microseconds per period.
    #[serde(rename = "CpuQuota")]
    pub cpu_quota: i64,
    /// Real-time period in microseconds.
    #[serde(rename = "CpuRealtimePeriod")]
    pub cpu_realtime_period: i64,
    /// Real-time runtime in microseconds.
    #[serde(rename = "CpuRealtimeRuntime")]
    pub cpu_realtime_runtime: i64,
    /// CPUs the container may use (`0-3`, `0,1`).
    #[serde(rename = "CpusetCpus")]
    pub cpuset_cpus: String,
    /// Memory nodes the container may use.
    #[serde(rename = "CpusetMems")]
    pub cpuset_mems: String,
    /// Host devices to add.
    #[serde(rename = "Devices")]
    pub devices: Option<Vec<DeviceMapping>>,
    /// Device cgroup rules (`c 1:3 mr`).
    #[serde(rename = "DeviceCgroupRules")]
    pub device_cgroup_rules: Option<Vec<String>>,
    /// Device requests (GPUs).
    #[serde(rename = "DeviceRequests")]
    pub device_requests: Option<Vec<Value>>,
    /// Kernel memory limit in bytes (deprecated; API < 1.42 clients send it).
    #[serde(rename = "KernelMemory", skip_serializing_if = "Option::is_none")]
    pub kernel_memory: Option<i64>,
    /// Kernel TCP buffer limit (deprecated).
    #[serde(rename = "KernelMemoryTCP", skip_serializing_if = "Option::is_none")]
    pub kernel_memory_tcp: Option<i64>,
    /// Memory soft limit in bytes.
    #[serde(rename = "MemoryReservation")]
    pub memory_reservation: i64,
    /// Memory plus swap limit in bytes (-1: unlimited swap).
    #[serde(rename = "MemorySwap")]
    pub memory_swap: i64,
    /// Swappiness, 0 to 100 (-1 or null: the host's).
    #[serde(rename = "MemorySwappiness")]
    pub memory_swappiness: Option<i64>,
    /// Disable the OOM killer.
    #[serde(rename = "OomKillDisable")]
    pub oom_kill_disable: Option<bool>,
    /// Maximum number of processes (0, -1 or null: unlimited).
    #[serde(rename = "PidsLimit")]
    pub pids_limit: Option<i64>,
    /// Resource limits.
    #[serde(rename = "Ulimits")]
    pub ulimits: Option<Vec<Ulimit>>,
    /// Windows only.
    #[serde(rename = "CpuCount")]
    pub cpu_count: i64,
    /// Windows only.
    #[serde(rename = "CpuPercent")]
    pub cpu_percent: i64,
    /// Windows only.
    #[serde(rename = "IOMaximumIOps")]
    pub io_maximum_iops: u64,
    /// Windows only.
    #[serde(rename = "IOMaximumBandwidth")]
    pub io_maximum_bandwidth: u64,
    /// Paths masked in the container (null: Docker's default list).
    #[serde(rename = "MaskedPaths")]
    pub masked_paths: Option<Vec<String>>,
    /// Paths made read-only in the container (null: Docker's default list).
    #[serde(rename = "ReadonlyPaths")]
    pub readonly_paths: Option<Vec<String>>,
    /// Run an init process as PID 1 (`--init`).
    #[serde(rename = "Init", skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
}

/// `HostConfig.LogConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct LogConfig {
    /// The driver (`json-file`; empty in a request means the daemon's default).
    #[serde(rename = "Type")]
    pub kind: String,
    /// Driver options (`max-size`, `max-file`, ...).
    #[serde(rename = "Config")]
    pub config: Option<BTreeMap<String, String>>,
}

/// `RestartPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct RestartPolicy {
    /// `""`, `no`, `always`, `unless-stopped` or `on-failure`.
    #[serde(rename = "Name")]
    pub name: String,
    /// Retries for `on-failure`.
    #[serde(rename = "MaximumRetryCount")]
    pub maximum_retry_count: i64,
}

/// `PortMap`: `"<port>/<proto>"` → host bindings (`null` when exposed but not published).
pub type PortMap = BTreeMap<String, Option<Vec<PortBinding>>>;

/// `PortBinding`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct PortBinding {
    /// The host address (empty: all).
    #[serde(rename = "HostIp")]
    pub host_ip: String,
    /// The host port, as a string (empty: any free port).
    #[serde(rename = "HostPort")]
    pub host_port: String,
}

/// `DeviceMapping`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct DeviceMapping {
    /// The device on the host.
    #[serde(rename = "PathOnHost")]
    pub path_on_host: String,
    /// Where it appears in the container.
    #[serde(rename = "PathInContainer")]
    pub path_in_container: String,
    /// `rwm` or a subset.
    #[serde(rename = "CgroupPermissions")]
    pub cgroup_permissions: String,
}

/// `ResourcesUlimits` item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Ulimit {
    /// The limit's name (`nofile`, `nproc`, ...).
    #[serde(rename = "Name")]
    pub name: String,
    /// The hard limit.
    #[serde(rename = "Hard")]
    pub hard: i64,
    /// The soft limit.
    #[serde(rename = "Soft")]
    pub soft: i64,
}

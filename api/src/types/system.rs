//! `GET /version` and `GET /info`.

use std::collections::BTreeMap;

use serde::Serialize;

/// `SystemVersion`: the answer to `GET /version`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SystemVersion {
    /// The product's platform name.
    #[serde(rename = "Platform")]
    pub platform: Platform,
    /// Versions of the engine and the components it runs.
    #[serde(rename = "Components")]
    pub components: Vec<ComponentVersion>,
    /// The daemon's version.
    #[serde(rename = "Version")]
    pub version: String,
    /// The highest API version served.
    #[serde(rename = "ApiVersion")]
    pub api_version: String,
    /// The lowest API version served.
    #[serde(rename = "MinAPIVersion")]
    pub min_api_version: String,
    /// The source revision the daemon was built from.
    #[serde(rename = "GitCommit")]
    pub git_commit: String,
    /// The compiler that built the daemon (Docker reports its Go version here).
    #[serde(rename = "GoVersion")]
    pub go_version: String,
    /// `linux`.
    #[serde(rename = "Os")]
    pub os: String,
    /// The architecture as Go names it (`amd64`, `arm64`).
    #[serde(rename = "Arch")]
    pub arch: String,
    /// `uname -r`.
    #[serde(rename = "KernelVersion")]
    pub kernel_version: String,
    /// When the daemon was built (RFC 3339), if known.
    #[serde(rename = "BuildTime", skip_serializing_if = "Option::is_none")]
    pub build_time: Option<String>,
    /// Whether experimental features are on.
    #[serde(rename = "Experimental")]
    pub experimental: bool,
}

/// `SystemVersion.Platform`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Platform {
    /// The platform's name.
    #[serde(rename = "Name")]
    pub name: String,
}

/// `ComponentVersion`: one entry of `SystemVersion.Components`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ComponentVersion {
    /// The component's name (`Engine`, `runc`, ...).
    #[serde(rename = "Name")]
    pub name: String,
    /// Its version.
    #[serde(rename = "Version")]
    pub version: String,
    /// Free-form details, shown by the CLI.
    #[serde(rename = "Details", skip_serializing_if = "Option::is_none")]
    pub details: Option<BTreeMap<String, String>>,
}

/// `SystemInfo`: the answer to `GET /info`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SystemInfo {
    /// The daemon's persistent identifier.
    #[serde(rename = "ID")]
    pub id: String,
    /// Number of containers.
    #[serde(rename = "Containers")]
    pub containers: u64,
    /// Number of running containers.
    #[serde(rename = "ContainersRunning")]
    pub containers_running: u64,
    /// Number of paused containers.
    #[serde(rename = "ContainersPaused")]
    pub containers_paused: u64,
    /// Number of stopped containers.
    #[serde(rename = "ContainersStopped")]
    pub containers_stopped: u64,
    /// Number of distinct images.
    #[serde(rename = "Images")]
    pub images: u64,
    /// The storage driver.
    #[serde(rename = "Driver")]
    pub driver: String,
    /// Storage driver details as label/value pairs.
    #[serde(rename = "DriverStatus")]
    pub driver_status: Vec<[String; 2]>,
    /// The data root.
    #[serde(rename = "DockerRootDir")]
    pub docker_root_dir: String,
    /// Available plugins per kind.
    #[serde(rename = "Plugins")]
    pub plugins: PluginsInfo,
    /// Memory limits are supported.
    #[serde(rename = "MemoryLimit")]
    pub memory_limit: bool,
    /// Swap limits are supported.
    #[serde(rename = "SwapLimit")]
    pub swap_limit: bool,
    /// TCP kernel memory limits are supported.
    #[serde(rename = "KernelMemoryTCP")]
    pub kernel_memory_tcp: bool,
    /// CFS period is supported.
    #[serde(rename = "CpuCfsPeriod")]
    pub cpu_cfs_period: bool,
    /// CFS quota is supported.
    #[serde(rename = "CpuCfsQuota")]
    pub cpu_cfs_quota: bool,
    /// CPU shares are supported.
    #[serde(rename = "CPUShares")]
    pub cpu_shares: bool,
    /// cpusets are supported.
    #[serde(rename = "CPUSet")]
    pub cpu_set: bool,
    /// PID limits are supported.
    #[serde(rename = "PidsLimit")]
    pub pids_limit: bool,
    /// OOM-kill disabling is supported.
    #[serde(rename = "OomKillDisable")]
    pub oom_kill_disable: bool,
    /// IPv4 forwarding is on.
    #[serde(rename = "IPv4Forwarding")]
    pub ipv4_forwarding: bool,
    /// `bridge-nf-call-iptables` is on.
    #[serde(rename = "BridgeNfIptables")]
    pub bridge_nf_iptables: bool,
    /// `bridge-nf-call-ip6tables` is on.
    #[serde(rename = "BridgeNfIp6tables")]
    pub bridge_nf_ip6tables: bool,
    /// Debug mode is on.
    #[serde(rename = "Debug")]
    pub debug: bool,
    /// Open file descriptors of the daemon.
    #[serde(rename = "NFd")]
    pub nfd: u64,
    /// Docker reports goroutines; wharf reports the daemon's threads.
    #[serde(rename = "NGoroutines")]
    pub ngoroutines: u64,
    /// The daemon's clock (RFC 3339 with nanoseconds).
    #[serde(rename = "SystemTime")]
    pub system_time: String,
    /// The default logging driver.
    #[serde(rename = "LoggingDriver")]
    pub logging_driver: String,
    /// `cgroupfs` or `systemd`.
    #[serde(rename = "CgroupDriver")]
    pub cgroup_driver: String,
    /// `1` or `2`.
    #[serde(rename = "CgroupVersion")]
    pub cgroup_version: String,
    /// Number of event listeners.
    #[serde(rename = "NEventsListener")]
    pub nevents_listener: u64,
    /// `uname -r`.
    #[serde(rename = "KernelVersion")]
    pub kernel_version: String,
    /// The distribution's pretty name.
    #[serde(rename = "OperatingSystem")]
    pub operating_system: String,
    /// The distribution's version.
    #[serde(rename = "OSVersion")]
    pub os_version: String,
    /// `linux`.
    #[serde(rename = "OSType")]
    pub os_type: String,
    /// `uname -m`.
    #[serde(rename = "Architecture")]
    pub architecture: String,
    /// Online CPUs.
    #[serde(rename = "NCPU")]
    pub ncpu: u64,
    /// Total memory in bytes.
    #[serde(rename = "MemTotal")]
    pub mem_total: u64,
    /// The default registry's index address.
    #[serde(rename = "IndexServerAddress")]
    pub index_server_address: String,
    /// Registry settings.
    #[serde(rename = "RegistryConfig")]
    pub registry_config: RegistryConfig,
    /// Generic resources (none).
    #[serde(rename = "GenericResources")]
    pub generic_resources: Option<Vec<serde_json::Value>>,
    /// `HTTP_PROXY` of the daemon.
    #[serde(rename = "HttpProxy")]
    pub http_proxy: String,
    /// `HTTPS_PROXY` of the daemon.
    #[serde(rename = "HttpsProxy")]
    pub https_proxy: String,
    /// `NO_PROXY` of the daemon.
    #[serde(rename = "NoProxy")]
    pub no_proxy: String,
    /// The host name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Daemon labels.
    #[serde(rename = "Labels")]
    pub labels: Vec<String>,
    /// Experimental build.
    #[serde(rename = "ExperimentalBuild")]
    pub experimental_build: bool,
    /// The daemon's version.
    #[serde(rename = "ServerVersion")]
    pub server_version: String,
    /// Configured OCI runtimes.
    #[serde(rename = "Runtimes")]
    pub runtimes: BTreeMap<String, Runtime>,
    /// The default runtime's name.
    #[serde(rename = "DefaultRuntime")]
    pub default_runtime: String,
    /// Swarm state (always inactive).
    #[serde(rename = "Swarm")]
    pub swarm: SwarmInfo,
    /// Live restore is enabled.
    #[serde(rename = "LiveRestoreEnabled")]
    pub live_restore_enabled: bool,
    /// Isolation technology (empty on Linux).
    #[serde(rename = "Isolation")]
    pub isolation: String,
    /// The init binary's name.
    #[serde(rename = "InitBinary")]
    pub init_binary: String,
    /// containerd's commit (wharf has no containerd).
    #[serde(rename = "ContainerdCommit")]
    pub containerd_commit: Commit,
    /// The runtime's commit.
    #[serde(rename = "RuncCommit")]
    pub runc_commit: Commit,
    /// The init's commit.
    #[serde(rename = "InitCommit")]
    pub init_commit: Commit,
    /// Security features, each as `name=...[,key=value]`.
    #[serde(rename = "SecurityOptions")]
    pub security_options: Vec<String>,
    /// Default address pools for networks.
    #[serde(rename = "DefaultAddressPools", skip_serializing_if = "Vec::is_empty")]
    pub default_address_pools: Vec<AddressPool>,
    /// Warnings about the host or configuration.
    #[serde(rename = "Warnings")]
    pub warnings: Vec<String>,
    /// CDI spec directories (none).
    #[serde(rename = "CDISpecDirs")]
    pub cdi_spec_dirs: Vec<String>,
}

/// `PluginsInfo`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PluginsInfo {
    /// Volume drivers.
    #[serde(rename = "Volume")]
    pub volume: Vec<String>,
    /// Network drivers.
    #[serde(rename = "Network")]
    pub network: Vec<String>,
    /// Authorization plugins.
    #[serde(rename = "Authorization")]
    pub authorization: Option<Vec<String>>,
    /// Logging drivers.
    #[serde(rename = "Log")]
    pub log: Vec<String>,
}

/// `RegistryServiceConfig`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RegistryConfig {
    /// Deprecated, always empty.
    #[serde(rename = "AllowNondistributableArtifactsCIDRs")]
    pub allow_nondistributable_artifacts_cidrs: Vec<String>,
    /// Deprecated, always empty.
    #[serde(rename = "AllowNondistributableArtifactsHostnames")]
    pub allow_nondistributable_artifacts_hostnames: Vec<String>,
    /// Registries reached without TLS.
    #[serde(rename = "InsecureRegistryCIDRs")]
    pub insecure_registry_cidrs: Vec<String>,
    /// Per-registry settings.
    #[serde(rename = "IndexConfigs")]
    pub index_configs: BTreeMap<String, IndexInfo>,
    /// Registry mirrors.
    #[serde(rename = "Mirrors")]
    pub mirrors: Vec<String>,
}

/// `IndexInfo`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct IndexInfo {
    /// The registry's name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Its mirrors.
    #[serde(rename = "Mirrors")]
    pub mirrors: Vec<String>,
    /// Reached over TLS.
    #[serde(rename = "Secure")]
    pub secure: bool,
    /// It is Docker Hub.
    #[serde(rename = "Official")]
    pub official: bool,
}

/// `Runtime`: an OCI runtime binary.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Runtime {
    /// The binary's name or path.
    #[serde(rename = "path")]
    pub path: String,
    /// Extra arguments.
    #[serde(rename = "runtimeArgs", skip_serializing_if = "Vec::is_empty")]
    pub runtime_args: Vec<String>,
}

/// `SwarmInfo`, reduced to what a non-swarm daemon reports.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SwarmInfo {
    /// Empty.
    #[serde(rename = "NodeID")]
    pub node_id: String,
    /// Empty.
    #[serde(rename = "NodeAddr")]
    pub node_addr: String,
    /// `inactive`.
    #[serde(rename = "LocalNodeState")]
    pub local_node_state: String,
    /// false.
    #[serde(rename = "ControlAvailable")]
    pub control_available: bool,
    /// Empty.
    #[serde(rename = "Error")]
    pub error: String,
    /// null.
    #[serde(rename = "RemoteManagers")]
    pub remote_managers: Option<Vec<serde_json::Value>>,
}

impl Default for SwarmInfo {
    fn default() -> Self {
        SwarmInfo {
            node_id: String::new(),
            node_addr: String::new(),
            local_node_state: "inactive".into(),
            control_available: false,
            error: String::new(),
            remote_managers: None,
        }
    }
}

/// `Commit`: a component's revision as found and as expected.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Commit {
    /// The revision in use.
    #[serde(rename = "ID")]
    pub id: String,
    /// The revision expected (Docker fills it with the same value).
    #[serde(rename = "Expected")]
    pub expected: String,
}

/// One default address pool.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct AddressPool {
    /// The pool, in CIDR form.
    #[serde(rename = "Base")]
    pub base: String,
    /// The prefix length of each network carved from it.
    #[serde(rename = "Size")]
    pub size: u8,
}

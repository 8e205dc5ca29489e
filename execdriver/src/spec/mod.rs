//! The container description the daemon hands over ([`ContainerSpec`]) and its translation into
//! an OCI runtime bundle (`config.json`) with Docker's defaults.

mod blkio;
mod build;
mod caps;
mod defaults;
mod devices;
mod seccomp;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use build::{build_spec, write_bundle};
pub use caps::{CAPABILITY_NAMES, container_capabilities, normalize_capabilities};
pub use defaults::{
    DEFAULT_CAPABILITIES, DEFAULT_CGROUP_PARENT, DEFAULT_SHM_SIZE, MASKED_PATHS, OCI_VERSION,
    READONLY_PATHS,
};
pub use devices::DeviceRequest;
pub use seccomp::Seccomp;

use crate::error::{Error, Result};
use crate::user::User;

/// Where the init of an `--init` container is mounted (moby's `inContainerInitPath`).
pub const INIT_PATH: &str = "/sbin/docker-init";

/// Which network namespace the container gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    /// Join the namespace bind-mounted at this path (e.g. `/run/netns/NAME`, prepared by
    /// netdriver with the container's `eth0`).
    Join(PathBuf),
    /// A fresh namespace with only `lo` (`--network none`), made by the runtime.
    Isolated,
    /// The host's namespace (`--network host`): no network namespace entry at all.
    Host,
}

/// Which namespaces besides the network a container shares with the host or with another
/// container (`--pid`, `--ipc`, `--uts`, `--cgroupns`); by default it has its own of each but
/// the cgroup namespace (cgroup v1's default, `--cgroupns=host`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedNamespaces {
    /// `--pid`: its own, the host's, or another container's.
    pub pid: Pid,
    /// `--ipc`: private (also `shareable`), the host's, private without `/dev/shm`, or
    /// another container's.
    pub ipc: Ipc,
    /// `--uts=host`: the host's hostname namespace (no hostname is set).
    pub uts_host: bool,
    /// `--cgroupns=private`: a cgroup namespace of its own, rooted at its cgroup.
    pub cgroup_private: bool,
}

/// A container's PID namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Pid {
    /// Its own.
    #[default]
    Private,
    /// The host's.
    Host,
    /// The namespace at this path (`--pid=container:NAME`: `/proc/PID/ns/pid` of its init).
    Join(PathBuf),
}

/// A container's IPC namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Ipc {
    /// Its own, with its own `/dev/shm` (`private`; `shareable` too, whose `/dev/shm` the
    /// caller bind-mounts from the host so that others can join it).
    #[default]
    Private,
    /// The host's, with the host's `/dev/shm`.
    Host,
    /// Its own, without `/dev/shm`.
    None,
    /// The namespace at this path (`--ipc=container:NAME`: `/proc/PID/ns/ipc` of its init);
    /// the caller bind-mounts that container's `/dev/shm`.
    Join(PathBuf),
}

/// A bind mount of a host file or directory the caller prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    /// The host path.
    pub source: PathBuf,
    /// The absolute path inside the container.
    pub destination: PathBuf,
    /// Mount it read-only.
    pub readonly: bool,
    /// The mount's propagation inside the container.
    pub propagation: Propagation,
    /// Bind the source alone, without the mounts below it (`bind` rather than `rbind`).
    pub non_recursive: bool,
    /// How far a read-only bind is read-only.
    pub readonly_depth: ReadonlyDepth,
}

/// How far a read-only bind mount is read-only (moby's `rro` handling).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReadonlyDepth {
    /// The mounts below it too where the runtime and kernel can (`rro`), else the bind alone.
    #[default]
    Recursive,
    /// The bind alone; mounts below it keep their own flags.
    NonRecursive,
    /// The mounts below it too, or the container does not start.
    ForceRecursive,
}

impl BindMount {
    /// A recursive, `rprivate` bind of `source` at `destination`.
    pub fn new(source: impl Into<PathBuf>, destination: impl Into<PathBuf>) -> Self {
        BindMount {
            source: source.into(),
            destination: destination.into(),
            readonly: false,
            propagation: Propagation::default(),
            non_recursive: false,
            readonly_depth: ReadonlyDepth::default(),
        }
    }
}

/// A tmpfs mount (`--tmpfs`, `--mount type=tmpfs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmpfsMount {
    /// The absolute path inside the container.
    pub destination: PathBuf,
    /// Mount options (`size=1m`, `mode=1777`, `noexec`, ...), merged with Docker's defaults
    /// (`noexec,nosuid,nodev`) by the driver: a later option wins over an earlier one.
    pub options: Vec<String>,
}

/// Mount propagation of a bind mount (Docker's `--mount bind-propagation=` values, which are
/// also the option strings runc expects).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Propagation {
    /// `private`.
    Private,
    /// `rprivate`, Docker's default.
    #[default]
    RPrivate,
    /// `shared`.
    Shared,
    /// `rshared`.
    RShared,
    /// `slave`.
    Slave,
    /// `rslave`.
    RSlave,
}

impl Propagation {
    /// Every mode, in Docker's spelling.
    pub const ALL: [Propagation; 6] = [
        Propagation::Private,
        Propagation::RPrivate,
        Propagation::Shared,
        Propagation::RShared,
        Propagation::Slave,
        Propagation::RSlave,
    ];

    /// Docker's (and runc's) name of the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Private => "private",
            Propagation::RPrivate => "rprivate",
            Propagation::Shared => "shared",
            Propagation::RShared => "rshared",
            Propagation::Slave => "slave",
            Propagation::RSlave => "rslave",
        }
    }

    /// The mode Docker spells `name`, if any.
    pub fn parse(name: &str) -> Option<Propagation> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// Cgroup limits, in Docker's units and with Docker's meaning of each field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// `--memory`, bytes.
    pub memory: Option<i64>,
    /// `--memory-swap`, bytes of memory plus swap (-1: unlimited). Docker's default of twice
    /// `memory` is the caller's to apply, when the host has swap accounting.
    pub memory_swap: Option<i64>,
    /// `--cpu-shares`, relative weight (1024 is the kernel's default).
    pub cpu_shares: Option<u64>,
    /// `--cpu-quota`, microseconds per period.
    pub cpu_quota: Option<i64>,
    /// `--cpu-period`, microseconds.
    pub cpu_period: Option<u64>,
    /// `--pids-limit`; zero or negative means unlimited, as in Docker.
    pub pids_limit: Option<i64>,
    /// `--memory-reservation`, bytes (a soft limit).
    pub memory_reservation: Option<i64>,
    /// `--memory-swappiness`, 0 to 100.
    pub memory_swappiness: Option<u64>,
    /// `--oom-kill-disable`.
    pub oom_kill_disable: bool,
    /// `--cpuset-cpus`: the CPUs allowed (`0-2`, `0,1`).
    pub cpuset_cpus: Option<String>,
    /// `--cpuset-mems`: the memory nodes allowed.
    pub cpuset_mems: Option<String>,
    /// `--blkio-weight`, 10 to 1000.
    pub blkio_weight: Option<u16>,
    /// `--blkio-weight-device`: a block device (its host path) and its weight.
    pub blkio_weight_device: Vec<(PathBuf, u16)>,
    /// `--device-read-bps`, `--device-write-bps`, `--device-read-iops`,
    /// `--device-write-iops`: a block device (its host path) and its rate, in that order.
    pub blkio_throttle: [Vec<(PathBuf, u64)>; 4],
    /// `--cpu-rt-period`, microseconds.
    pub cpu_realtime_period: Option<u64>,
    /// `--cpu-rt-runtime`, microseconds.
    pub cpu_realtime_runtime: Option<i64>,
}

/// Everything needed to run one container, resolved by the caller from the image config and
/// the create request (Entrypoint + Cmd merged into `args`, Env merged, `TERM=xterm` added for a
/// tty, `HOSTNAME` and `PATH` set as dockerd does).
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    /// The container ID (runc's container name and the last cgroup path element).
    pub id: String,
    /// The hostname inside the container (Docker: the first 12 characters of the ID).
    pub hostname: String,
    /// The root filesystem (already mounted, e.g. the overlay's merged directory); absolute.
    pub rootfs: PathBuf,
    /// `--read-only`.
    pub readonly_rootfs: bool,
    /// The process: `args[0]` is looked up in the container's `PATH` by the runtime.
    pub args: Vec<String>,
    /// `KEY=value` environment entries.
    pub env: Vec<String>,
    /// The working directory inside the container; absolute (`/` when the image sets none).
    pub cwd: String,
    /// The numeric identity, e.g. from [`crate::resolve_user`].
    pub user: User,
    /// `-t`: the process gets a pseudo-terminal as stdin, stdout and stderr.
    pub tty: bool,
    /// `-i`: the process's stdin stays open for attach clients to write to.
    pub open_stdin: bool,
    /// The network namespace.
    pub network: Network,
    /// The other namespaces shared with the host.
    pub shared: SharedNamespaces,
    /// Bind mounts, mounted in this order after the system mounts: typically the container's
    /// `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf`, then volumes.
    pub mounts: Vec<BindMount>,
    /// tmpfs mounts; mounted with the bind mounts, parents before children.
    pub tmpfs: Vec<TmpfsMount>,
    /// Cgroup limits.
    pub resources: Resources,
    /// The cgroup parent (`/wharf` when `None`); the container's cgroup is `<parent>/<id>`.
    pub cgroup_parent: Option<String>,
    /// Privileges and confinement.
    pub security: Security,
    /// Size of `/dev/shm` in bytes (`--shm-size`).
    pub shm_size: u64,
    /// Resource limits of the process (`--ulimit`); none means the runtime's own.
    pub ulimits: Vec<Ulimit>,
    /// `--oom-score-adj`.
    pub oom_score_adj: Option<i32>,
    /// `--sysctl`: set in the container's namespaces, over Docker's defaults.
    pub sysctls: BTreeMap<String, String>,
    /// `--init`: this init binary (a host path) runs as PID 1 and starts `args` (Docker's
    /// `docker-init`, bind-mounted read-only at [`INIT_PATH`]).
    pub init: Option<PathBuf>,
    /// `--device`s.
    pub devices: Vec<DeviceRequest>,
    /// `--device-cgroup-rule`s (`c 1:3 rwm`).
    pub device_cgroup_rules: Vec<String>,
    /// How the monitor logs the container's output (`--log-driver`, `--log-opt`).
    pub log: crate::LogSettings,
    /// The runtime and kernel can make a bind read-only recursively (`rro`; see
    /// [`crate::Runtime::supports_rro`]).
    pub rro_supported: bool,
    /// OCI annotations (`HostConfig.Annotations`).
    pub annotations: BTreeMap<String, String>,
}

/// A container's privileges and confinement (`--privileged`, `--cap-add`, `--cap-drop`,
/// `--security-opt`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Security {
    /// `--privileged`: every capability and device, no masked or read-only paths, `/sys`
    /// writable, no seccomp filter.
    pub privileged: bool,
    /// `--cap-add` as the request gave it (`NET_ADMIN`, `cap_net_admin`, `ALL`).
    pub cap_add: Vec<String>,
    /// `--cap-drop`, likewise.
    pub cap_drop: Vec<String>,
    /// `no-new-privileges`: execve never grants more privileges.
    pub no_new_privileges: bool,
    /// The seccomp filter (ignored when privileged, as dockerd ignores it).
    pub seccomp: Seccomp,
    /// Paths to hide instead of Docker's (`HostConfig.MaskedPaths`; empty for
    /// `systempaths=unconfined`).
    pub masked_paths: Option<Vec<String>>,
    /// Paths to make read-only instead of Docker's (`HostConfig.ReadonlyPaths`).
    pub readonly_paths: Option<Vec<String>>,
}

/// One `--ulimit`: a resource by Docker's name (`nofile`, `nproc`, ...) with its soft and
/// hard limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    /// Docker's name of the resource (`RLIMIT_` + its upper case is the kernel's).
    pub name: String,
    /// The soft limit.
    pub soft: u64,
    /// The hard limit.
    pub hard: u64,
}

impl ContainerSpec {
    /// A spec with Docker's defaults for everything but the ID, rootfs and command: hostname
    /// from the ID, root user, cwd `/`, no tty, a fresh empty network namespace.
    pub fn new(id: impl Into<String>, rootfs: impl Into<PathBuf>, args: Vec<String>) -> Self {
        let id = id.into();
        ContainerSpec {
            hostname: id.chars().take(12).collect(),
            id,
            rootfs: rootfs.into(),
            readonly_rootfs: false,
            args,
            env: vec![
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            ],
            cwd: "/".to_owned(),
            user: User::default(),
            tty: false,
            open_stdin: false,
            network: Network::Isolated,
            shared: SharedNamespaces::default(),
            mounts: Vec::new(),
            tmpfs: Vec::new(),
            resources: Resources::default(),
            cgroup_parent: None,
            security: Security::default(),
            shm_size: DEFAULT_SHM_SIZE,
            ulimits: Vec::new(),
            oom_score_adj: None,
            sysctls: BTreeMap::new(),
            init: None,
            devices: Vec::new(),
            device_cgroup_rules: Vec::new(),
            log: crate::LogSettings::default(),
            rro_supported: false,
            annotations: BTreeMap::new(),
        }
    }

    /// The cgroup path runc creates (cgroupfs style, relative to each hierarchy's root).
    pub fn cgroups_path(&self) -> String {
        let parent = self
            .cgroup_parent
            .as_deref()
            .unwrap_or(DEFAULT_CGROUP_PARENT);
        format!("{}/{}", parent.trim_end_matches('/'), self.id)
    }

    /// Checks what the runtime would otherwise reject with a less helpful message.
    pub fn validate(&self) -> Result<()> {
        validate_id(&self.id)?;
        if self.args.is_empty() || self.args[0].is_empty() {
            return Err(Error::InvalidParameter(format!(
                "no command specified for container {}",
                self.id
            )));
        }
        if !self.rootfs.is_absolute() {
            return Err(Error::InvalidParameter(format!(
                "rootfs {} of container {} is not absolute",
                self.rootfs.display(),
                self.id
            )));
        }
        if !self.cwd.starts_with('/') {
            return Err(Error::InvalidParameter(format!(
                "the working directory '{}' is invalid, it needs to be an absolute path",
                self.cwd
            )));
        }
        let destinations = self.mounts.iter().map(|m| &m.destination);
        let tmpfs = self.tmpfs.iter().map(|t| &t.destination);
        if let Some(d) = destinations.chain(tmpfs).find(|d| !d.is_absolute()) {
            return Err(Error::InvalidParameter(format!(
                "invalid mount config: mount path must be absolute: {}",
                d.display()
            )));
        }
        if let Network::Join(path) = &self.network
            && !path.is_absolute()
        {
            return Err(Error::InvalidParameter(format!(
                "network namespace path {} is not absolute",
                path.display()
            )));
        }
        Ok(())
    }
}

/// Rejects IDs runc would refuse, or that would escape a directory when used in a path.
pub(crate) fn validate_id(id: &str) -> Result<()> {
    let ok = id
        .bytes()
        .enumerate()
        .all(|(i, b)| b.is_ascii_alphanumeric() || (i > 0 && b"_.-".contains(&b)));
    if id.is_empty() || id.len() > 1024 || !ok {
        return Err(Error::InvalidParameter(format!(
            "invalid container id {id:?}"
        )));
    }
    Ok(())
}

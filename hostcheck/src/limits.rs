//! Which resource limits the host's cgroups let a container have: moby's `sysinfo.SysInfo`
//! flags, which dockerd's create checks consult (a limit the host cannot apply is discarded
//! with a warning, or refused).
//!
//! On cgroup v1 a limit is supported when its control file exists at the root of its
//! controller's hierarchy (`memory.memsw.limit_in_bytes` for swap); on v2 when its controller is
//! enabled at the root, with v2's fixed answers for what it never offers (swappiness, kernel
//! memory, disabling the OOM killer, real-time CPU). Only file existence is probed, once.

use std::path::Path;

use serde::Serialize;

use crate::cgroup::{self, CgroupVersion, Cgroups};
use crate::read::read_trimmed;

/// The limits the host supports, and the CPUs and memory nodes a cpuset may name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// A memory limit (`--memory`).
    pub memory: bool,
    /// A memory plus swap limit (`--memory-swap`): swap accounting.
    pub swap: bool,
    /// A memory soft limit (`--memory-reservation`).
    pub memory_reservation: bool,
    /// Disabling the OOM killer (`--oom-kill-disable`).
    pub oom_kill_disable: bool,
    /// A swappiness (`--memory-swappiness`).
    pub memory_swappiness: bool,
    /// A kernel memory limit (`--kernel-memory`).
    pub kernel_memory: bool,
    /// A kernel TCP buffer limit.
    pub kernel_memory_tcp: bool,
    /// CPU shares (`--cpu-shares`).
    pub cpu_shares: bool,
    /// The CFS scheduler's period and quota (`--cpus`, `--cpu-period`, `--cpu-quota`).
    pub cpu_cfs: bool,
    /// Real-time CPU time (`--cpu-rt-period`, `--cpu-rt-runtime`).
    pub cpu_realtime: bool,
    /// Cpusets (`--cpuset-cpus`, `--cpuset-mems`).
    pub cpuset: bool,
    /// The CPUs a cpuset may name, as the kernel lists them (`0-3`); empty when unknown.
    pub cpus: String,
    /// The memory nodes a cpuset may name (`0`); empty when unknown.
    pub mems: String,
    /// A process count limit (`--pids-limit`).
    pub pids: bool,
    /// A block IO weight (`--blkio-weight`).
    pub blkio_weight: bool,
    /// Per-device block IO weights.
    pub blkio_weight_device: bool,
    /// Per-device read limits in bytes per second.
    pub blkio_read_bps: bool,
    /// Per-device write limits in bytes per second.
    pub blkio_write_bps: bool,
    /// Per-device read limits in operations per second.
    pub blkio_read_iops: bool,
    /// Per-device write limits in operations per second.
    pub blkio_write_iops: bool,
    /// Cgroup namespaces (`/proc/self/ns/cgroup` exists).
    pub cgroup_namespaces: bool,
}

/// Probes the limits of the host under `root`, whose cgroups are `cgroups`.
pub(crate) fn detect(root: &Path, cgroups: &Cgroups) -> Limits {
    let mut limits = match cgroups.version {
        CgroupVersion::V2 => v2(root, &cgroups.controllers),
        CgroupVersion::V1 | CgroupVersion::Hybrid => v1(root),
        CgroupVersion::Unknown => Limits::default(),
    };
    limits.cgroup_namespaces = root.join("proc/self/ns/cgroup").exists();
    limits
}

/// cgroup v1: a flag per control file at the root of its controller's hierarchy.
fn v1(root: &Path) -> Limits {
    let points = cgroup::v1_mount_points(root);
    let dir = |controller: &str| {
        let point = points.get(controller)?;
        Some(root.join(point.trim_start_matches('/')))
    };
    let has = |dir: &Option<std::path::PathBuf>, file: &str| {
        dir.as_ref().is_some_and(|d| d.join(file).exists())
    };
    let (memory, cpu, blkio) = (dir("memory"), dir("cpu"), dir("blkio"));
    // The cpuset counts only when both lists can be read (moby's `checkCgroupCpusetInfo`).
    let cpuset = dir("cpuset").and_then(|d| {
        let list = |f: &str| std::fs::read_to_string(d.join(f)).ok();
        Some((list("cpuset.cpus")?, list("cpuset.mems")?))
    });
    let (cpus, mems) = cpuset.clone().unwrap_or_default();
    Limits {
        memory: memory.is_some(),
        swap: has(&memory, "memory.memsw.limit_in_bytes"),
        memory_reservation: has(&memory, "memory.soft_limit_in_bytes"),
        oom_kill_disable: has(&memory, "memory.oom_control"),
        memory_swappiness: has(&memory, "memory.swappiness"),
        kernel_memory: has(&memory, "memory.kmem.limit_in_bytes"),
        kernel_memory_tcp: has(&memory, "memory.kmem.tcp.limit_in_bytes"),
        cpu_shares: has(&cpu, "cpu.shares"),
        cpu_cfs: has(&cpu, "cpu.cfs_period_us") && has(&cpu, "cpu.cfs_quota_us"),
        cpu_realtime: has(&cpu, "cpu.rt_period_us") && has(&cpu, "cpu.rt_runtime_us"),
        cpuset: cpuset.is_some(),
        cpus: cpus.trim().to_owned(),
        mems: mems.trim().to_owned(),
        pids: points.contains_key("pids"),
        blkio_weight: has(&blkio, "blkio.weight"),
        blkio_weight_device: has(&blkio, "blkio.weight_device"),
        blkio_read_bps: has(&blkio, "blkio.throttle.read_bps_device"),
        blkio_write_bps: has(&blkio, "blkio.throttle.write_bps_device"),
        blkio_read_iops: has(&blkio, "blkio.throttle.read_iops_device"),
        blkio_write_iops: has(&blkio, "blkio.throttle.write_iops_device"),
        cgroup_namespaces: false,
    }
}

/// cgroup v2: what each enabled root controller offers (moby's `newV2`).
fn v2(root: &Path, controllers: &[String]) -> Limits {
    let on = |c: &str| controllers.iter().any(|x| x == c);
    let (memory, cpu, io) = (on("memory"), on("cpu"), on("io"));
    let (cpus, mems) = match on("cpuset") {
        true => (
            read_trimmed(root, "sys/fs/cgroup/cpuset.cpus.effective").unwrap_or_default(),
            read_trimmed(root, "sys/fs/cgroup/cpuset.mems.effective").unwrap_or_default(),
        ),
        false => Default::default(),
    };
    Limits {
        memory,
        swap: memory && swap_v2(root),
        memory_reservation: memory,
        cpu_shares: cpu,
        cpu_cfs: cpu,
        cpuset: on("cpuset"),
        cpus,
        mems,
        pids: on("pids"),
        blkio_weight: io,
        blkio_weight_device: io,
        blkio_read_bps: io,
        blkio_write_bps: io,
        blkio_read_iops: io,
        blkio_write_iops: io,
        ..Limits::default()
    }
}

/// Swap accounting on v2 (moby's `getSwapLimitV2`): with the daemon's own cgroup known, its
/// `memory.swap.max` exists, or (the root cgroup has none) the kernel has swap at all.
fn swap_v2(root: &Path) -> bool {
    let Some(own) = read_trimmed(root, "proc/self/cgroup").and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("0::").map(str::to_owned))
    }) else {
        return false;
    };
    let max = format!("sys/fs/cgroup/{}/memory.swap.max", own.trim_matches('/'));
    [
        max.as_str(),
        "sbin/swapon",
        "proc/sys/vm/swappiness",
        "proc/swaps",
    ]
    .iter()
    .any(|f| root.join(f).exists())
}

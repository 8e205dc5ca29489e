//! Docker's defaults for every container: capabilities, system mounts, masked and read-only
//! paths, device cgroup rules.

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceCgroupBuilder, LinuxDeviceType, Mount};

use super::build::{mount, oci};
use crate::error::Result;

/// The OCI runtime-spec version written into `config.json` (the one runc 1.1 speaks).
pub const OCI_VERSION: &str = "1.0.2-dev";

/// The cgroup parent of every container unless the spec names another (`--cgroup-parent`).
pub const DEFAULT_CGROUP_PARENT: &str = "/wharf";

/// Size of `/dev/shm`, Docker's default `--shm-size` (64 MiB).
pub const DEFAULT_SHM_SIZE: u64 = 64 * 1024 * 1024;

/// Docker's default capability set (moby `caps.DefaultCapabilities`), in its order.
pub const DEFAULT_CAPABILITIES: [&str; 14] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// Paths Docker hides from containers by bind-mounting `/dev/null` (or an empty tmpfs) over them.
pub const MASKED_PATHS: [&str; 11] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths Docker remounts read-only inside containers.
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// The mounts of moby's `oci.DefaultLinuxSpec`, in its order.
///
/// A privileged container gets `/sys` and its cgroups read-write (moby's `WithMounts`), and
/// `/dev/shm` is `shm_size` bytes (`--shm-size`).
pub(super) fn system_mounts(privileged: bool, shm_size: u64) -> Result<Vec<Mount>> {
    let o = |opts: &[&str]| {
        opts.iter()
            .filter(|s| !(privileged && **s == "ro"))
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
    };
    let shm_size = format!("size={shm_size}");
    Ok(vec![
        mount("/proc", "proc", "proc", &o(&["nosuid", "noexec", "nodev"]))?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &o(&["nosuid", "strictatime", "mode=755", "size=65536k"]),
        )?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &o(&[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ]),
        )?,
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &o(&["nosuid", "noexec", "nodev", "ro"]),
        )?,
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &o(&["ro", "nosuid", "noexec", "nodev"]),
        )?,
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &o(&["nosuid", "noexec", "nodev"]),
        )?,
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &o(&["nosuid", "noexec", "nodev", "mode=1777", &shm_size]),
        )?,
    ])
}

/// The device cgroup: deny everything, then allow the devices every container has (the rules
/// of containerd's default spec, which dockerd uses).
pub(super) fn device_rules() -> Result<Vec<LinuxDeviceCgroup>> {
    use LinuxDeviceType::{B, C};
    let rule = |allow: bool,
                typ: Option<LinuxDeviceType>,
                major: Option<i64>,
                minor: Option<i64>,
                access: &str| {
        let mut b = LinuxDeviceCgroupBuilder::default()
            .allow(allow)
            .access(access);
        if let Some(t) = typ {
            b = b.typ(t);
        }
        if let Some(m) = major {
            b = b.major(m);
        }
        if let Some(m) = minor {
            b = b.minor(m);
        }
        b.build().map_err(oci)
    };
    [
        rule(false, None, None, None, "rwm"),
        rule(true, Some(C), None, None, "m"),
        rule(true, Some(B), None, None, "m"),
        rule(true, Some(C), Some(1), Some(3), "rwm"), // /dev/null
        rule(true, Some(C), Some(1), Some(8), "rwm"), // /dev/random
        rule(true, Some(C), Some(1), Some(7), "rwm"), // /dev/full
        rule(true, Some(C), Some(5), Some(0), "rwm"), // /dev/tty
        rule(true, Some(C), Some(1), Some(5), "rwm"), // /dev/zero
        rule(true, Some(C), Some(1), Some(9), "rwm"), // /dev/urandom
        rule(true, Some(C), Some(5), Some(1), "rwm"), // /dev/console
        rule(true, Some(C), Some(136), None, "rwm"),  // /dev/pts/*
        rule(true, Some(C), Some(5), Some(2), "rwm"), // /dev/ptmx
        rule(true, Some(C), Some(10), Some(200), "rwm"), // /dev/net/tun
    ]
    .into_iter()
    .collect()
}

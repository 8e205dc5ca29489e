//! The facts about the host that `/info` and `/version` report, gathered from files under the
//! probe root. Every field a file provides is `None` (or `false`) when that file is missing.

use std::path::Path;

use serde::Serialize;

use crate::cgroup::{self, CgroupVersion, Cgroups};
use crate::kernel::KernelVersion;
use crate::limits::{self, Limits};
use crate::read::{read, read_flag, read_trimmed};
use crate::{Probe, arch};

/// What the host is, as `/info` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// The operating system `wharfd` was built for (`linux`), Docker's `OSType`.
    pub os: String,
    /// The architecture as `uname -m` spells it (`x86_64`), Docker's `/info` `Architecture`.
    pub arch: String,
    /// The architecture as Go spells it (`amd64`), Docker's `/version` `Arch`.
    pub goarch: String,
    /// The effective user id of the daemon.
    pub euid: u32,
    /// The kernel release (`/proc/sys/kernel/osrelease`), Docker's `KernelVersion`.
    pub kernel: Option<String>,
    /// The kernel release, parsed; `None` when unknown or unparseable.
    pub kernel_version: Option<KernelVersion>,
    /// `PRETTY_NAME` of os-release, Docker's `OperatingSystem`.
    pub os_name: Option<String>,
    /// `VERSION_ID` of os-release, Docker's `OSVersion`.
    pub os_version: Option<String>,
    /// The host name (`/proc/sys/kernel/hostname`), Docker's `Name`.
    pub hostname: Option<String>,
    /// The number of online CPUs, Docker's `NCPU`.
    pub ncpu: usize,
    /// Total memory in bytes (`MemTotal` of `/proc/meminfo`), Docker's `MemTotal`.
    pub mem_total: Option<u64>,
    /// The cgroup layout and controllers.
    pub cgroups: Cgroups,
    /// Whether `overlay` is listed in `/proc/filesystems`.
    pub overlay: Option<bool>,
    /// Whether the kernel supports seccomp (a `Seccomp:` line in `/proc/self/status`).
    pub seccomp: Option<bool>,
    /// Whether AppArmor is enabled (`/sys/module/apparmor/parameters/enabled` is `Y`).
    pub apparmor: bool,
    /// `/proc/sys/net/ipv4/ip_forward`, Docker's `IPv4Forwarding`.
    pub ipv4_forwarding: Option<bool>,
    /// `bridge-nf-call-iptables`, Docker's `BridgeNfIptables`.
    pub bridge_nf_iptables: Option<bool>,
    /// `bridge-nf-call-ip6tables`, Docker's `BridgeNfIp6tables`.
    pub bridge_nf_ip6tables: Option<bool>,
    /// The resource limits the cgroups support.
    pub limits: Limits,
    /// The highest capability the kernel knows (`/proc/sys/kernel/cap_last_cap`).
    pub cap_last_cap: Option<u32>,
}

impl Facts {
    /// Reads the facts of the host `probe` describes.
    pub(crate) fn gather(probe: &Probe) -> Self {
        let root = probe.root.as_path();
        let kernel = read_trimmed(root, "proc/sys/kernel/osrelease");
        let os_release = read(root, "etc/os-release").or_else(|| read(root, "usr/lib/os-release"));
        let os_release = os_release.as_deref().unwrap_or_default();
        let cgroups = cgroup::detect(root);
        Self {
            os: probe.os.clone(),
            arch: arch::uname(&probe.arch).to_owned(),
            goarch: arch::goarch(&probe.arch).to_owned(),
            euid: probe.euid,
            kernel_version: kernel.as_deref().and_then(KernelVersion::parse),
            kernel,
            os_name: os_release_value(os_release, "PRETTY_NAME"),
            os_version: os_release_value(os_release, "VERSION_ID"),
            hostname: read_trimmed(root, "proc/sys/kernel/hostname"),
            ncpu: ncpu(root),
            mem_total: read(root, "proc/meminfo").and_then(|m| mem_total(&m)),
            limits: limits::detect(root, &cgroups),
            cgroups,
            overlay: read(root, "proc/filesystems").map(|f| has_filesystem(&f, "overlay")),
            seccomp: read(root, "proc/self/status")
                .map(|s| s.lines().any(|l| l.starts_with("Seccomp:"))),
            apparmor: read_trimmed(root, "sys/module/apparmor/parameters/enabled")
                .is_some_and(|v| v == "Y"),
            ipv4_forwarding: read_flag(root, "proc/sys/net/ipv4/ip_forward"),
            bridge_nf_iptables: read_flag(root, "proc/sys/net/bridge/bridge-nf-call-iptables"),
            bridge_nf_ip6tables: read_flag(root, "proc/sys/net/bridge/bridge-nf-call-ip6tables"),
            cap_last_cap: read_trimmed(root, "proc/sys/kernel/cap_last_cap")
                .and_then(|n| n.parse().ok()),
        }
    }

    /// Docker's `/info` `SecurityOptions` for this host, in dockerd's order: `name=apparmor`,
    /// `name=seccomp,profile=<profile>` when the kernel has seccomp and the daemon applies a
    /// profile (`seccomp_profile`, e.g. `Some("default")`), and `name=cgroupns` on cgroup v2, where
    /// containers get a private cgroup namespace by default.
    pub fn security_options(&self, seccomp_profile: Option<&str>) -> Vec<String> {
        let mut options = Vec::new();
        if self.apparmor {
            options.push("name=apparmor".to_owned());
        }
        if let (Some(true), Some(profile)) = (self.seccomp, seccomp_profile) {
            options.push(format!("name=seccomp,profile={profile}"));
        }
        if self.cgroups.version == CgroupVersion::V2 {
            options.push("name=cgroupns".to_owned());
        }
        options
    }
}

/// The value of `key` in an os-release file, without its quotes.
fn os_release_value(text: &str, key: &str) -> Option<String> {
    let value = text.lines().find_map(|line| {
        let (k, v) = line.trim().split_once('=')?;
        (k == key).then_some(v)
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    let value = value.replace("\\\"", "\"").replace("\\\\", "\\");
    (!value.is_empty()).then_some(value)
}

/// Online CPUs from `/sys/devices/system/cpu/online`; without it, the CPUs this process may run
/// on, as the standard library counts them.
fn ncpu(root: &Path) -> usize {
    read_trimmed(root, "sys/devices/system/cpu/online")
        .and_then(|list| cpu_list_len(&list))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The number of CPUs in a kernel CPU list such as `0-1` or `0,2-5,7`.
fn cpu_list_len(list: &str) -> Option<usize> {
    let mut count = 0;
    for part in list.split(',') {
        let part = part.trim();
        count += match part.split_once('-') {
            Some((first, last)) => {
                let first: usize = first.parse().ok()?;
                let last: usize = last.parse().ok()?;
                last.checked_sub(first)? + 1
            }
            None => {
                part.parse::<usize>().ok()?;
                1
            }
        };
    }
    (count > 0).then_some(count)
}

/// `MemTotal` of `/proc/meminfo` in bytes (the file counts in kB, meaning KiB).
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Whether `/proc/filesystems` (lines like `nodev\toverlay` or `\text4`) lists `name`.
fn has_filesystem(filesystems: &str, name: &str) -> bool {
    filesystems
        .lines()
        .any(|l| l.split_whitespace().last() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(cpu_list_len("0-1"), Some(2));
        assert_eq!(cpu_list_len("0"), Some(1));
        assert_eq!(cpu_list_len("0,2-5,7\n"), Some(6));
        assert_eq!(cpu_list_len(""), None);
        assert_eq!(cpu_list_len("3-1"), None);
    }

    #[test]
    fn os_release_values() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=Debian\nVERSION_ID='12'\n";
        assert_eq!(
            os_release_value(text, "PRETTY_NAME").as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(os_release_value(text, "NAME").as_deref(), Some("Debian"));
        assert_eq!(os_release_value(text, "VERSION_ID").as_deref(), Some("12"));
        assert_eq!(os_release_value(text, "VERSION"), None);
    }

    #[test]
    fn meminfo_and_filesystems() {
        let meminfo = "MemTotal:       24683656 kB\nMemFree:        1 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_683_656 * 1024));
        assert!(has_filesystem(
            "nodev\tcgroup2\nnodev\toverlay\n\text4\n",
            "overlay"
        ));
        assert!(!has_filesystem("nodev\toverlayfs\n", "overlay"));
    }
}

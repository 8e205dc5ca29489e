//! The rules that turn facts into findings: which hosts `wharfd` refuses, warns about or accepts.
//!
//! Warning messages name their subject, so a daemon can show them alone (as `/info` does with
//! `WARNING: <message>`); where dockerd has a message for the same thing, it is dockerd's wording.

use crate::cgroup::CgroupVersion;
use crate::finding::{Finding, Section, Severity};
use crate::{Facts, FsInfo, Result, arch};

use Severity::{Fatal, Ok, Warning};

/// The oldest kernel `wharfd` runs on without a warning.
const MIN_KERNEL: (u32, u32) = (3, 8);

/// Every finding about `facts` and, when a data root was probed, about its filesystem.
pub(crate) fn findings(facts: &Facts, data_root: Option<&Result<FsInfo>>) -> Vec<Finding> {
    let mut out = vec![
        os(facts),
        privileges(facts),
        architecture(facts),
        kernel(facts),
        distribution(facts),
        resources(facts),
    ];
    out.extend(cgroups(facts));
    out.push(overlay(facts));
    out.extend(data_root.map(data_root_fs).into_iter().flatten());
    out.extend(network(facts));
    out.push(seccomp(facts));
    out.push(apparmor(facts));
    out
}

fn host(check: &str, severity: Severity, message: impl Into<String>) -> Finding {
    Finding::new(Section::Host, check, severity, message)
}

fn os(facts: &Facts) -> Finding {
    match facts.os.as_str() {
        "linux" => host("os", Ok, "linux"),
        other => host(
            "os",
            Fatal,
            format!("wharfd only runs on linux, not {other}"),
        ),
    }
}

fn privileges(facts: &Facts) -> Finding {
    match facts.euid {
        0 => host("privileges", Ok, "running as root"),
        euid => host(
            "privileges",
            Fatal,
            format!("wharfd needs to be run as root (euid is {euid})"),
        ),
    }
}

fn architecture(facts: &Facts) -> Finding {
    let (uname, goarch) = (&facts.arch, &facts.goarch);
    if arch::supported(uname) {
        host("arch", Ok, format!("{uname} ({goarch})"))
    } else {
        let message = format!(
            "unsupported architecture {uname}: wharfd supports x86_64 (amd64) and aarch64 (arm64)"
        );
        host("arch", Fatal, message)
    }
}

fn kernel(facts: &Facts) -> Finding {
    let (major, minor) = MIN_KERNEL;
    match (&facts.kernel, &facts.kernel_version) {
        (None, _) => host(
            "kernel",
            Warning,
            "kernel version unknown: cannot read /proc/sys/kernel/osrelease",
        ),
        (Some(release), None) => host(
            "kernel",
            Warning,
            format!("cannot parse kernel version {release:?}"),
        ),
        (Some(release), Some(version)) if version.at_least(major, minor, 0) => {
            host("kernel", Ok, format!("{release} (>= {major}.{minor})"))
        }
        (Some(release), Some(_)) => host(
            "kernel",
            Warning,
            format!("kernel {release} is older than {major}.{minor}; please upgrade the kernel"),
        ),
    }
}

fn distribution(facts: &Facts) -> Finding {
    let name = match (&facts.os_name, &facts.os_version) {
        (Some(name), _) => name.clone(),
        (None, Some(version)) => format!("unknown (version {version})"),
        (None, None) => "unknown (no os-release)".to_owned(),
    };
    host("distribution", Ok, name)
}

fn resources(facts: &Facts) -> Finding {
    let memory = facts.mem_total.map_or_else(|| "unknown".to_owned(), gib);
    let hostname = facts.hostname.as_deref().unwrap_or("unknown");
    let message = format!("{} CPUs, {memory} memory, hostname {hostname}", facts.ncpu);
    host("resources", Ok, message)
}

fn cgroups(facts: &Facts) -> Vec<Finding> {
    let at =
        |check, severity, message: String| Finding::new(Section::Cgroups, check, severity, message);
    let cgroups = &facts.cgroups;
    let version = match cgroups.version {
        CgroupVersion::V1 => "v1",
        CgroupVersion::V2 => "v2",
        CgroupVersion::Hybrid => "v1 (hybrid, cgroup2 at /sys/fs/cgroup/unified)",
        CgroupVersion::Unknown => {
            let message = "no cgroup hierarchy mounted under /sys/fs/cgroup; \
                           resource limits are not available";
            return vec![at("cgroup version", Warning, message.to_owned())];
        }
    };
    let list = if cgroups.controllers.is_empty() {
        "none".to_owned()
    } else {
        cgroups.controllers.join(", ")
    };
    let missing = cgroups.missing();
    let controllers = if missing.is_empty() {
        at("cgroup controllers", Ok, list)
    } else {
        let missing = missing.join(", ");
        let message =
            format!("missing cgroup controllers {missing}: their limits are not available");
        at("cgroup controllers", Warning, message)
    };
    vec![at("cgroup version", Ok, version.to_owned()), controllers]
}

fn storage(check: &str, severity: Severity, message: impl Into<String>) -> Finding {
    Finding::new(Section::Storage, check, severity, message)
}

fn overlay(facts: &Facts) -> Finding {
    match facts.overlay {
        Some(true) => storage("overlay", Ok, "supported"),
        Some(false) => storage(
            "overlay",
            Warning,
            "overlay is not in /proc/filesystems (module not loaded?); storage falls back to vfs",
        ),
        None => storage(
            "overlay",
            Warning,
            "overlay support unknown: cannot read /proc/filesystems; storage may fall back to vfs",
        ),
    }
}

fn data_root_fs(probed: &Result<FsInfo>) -> Vec<Finding> {
    let fs = match probed {
        Result::Ok(fs) => fs,
        Err(err) => {
            return vec![storage(
                "data root",
                Warning,
                format!("cannot probe the data root: {err}"),
            )];
        }
    };
    let mut place = fs.path.display().to_string();
    if fs.probed != fs.path {
        place = format!("{place} (not created yet; probed {})", fs.probed.display());
    }
    let backing = &fs.backing_fs;
    let backing_fs = if backing == "overlayfs" {
        let message = format!(
            "data root {place} is on overlayfs: overlay2 cannot stack on it; falling back to vfs"
        );
        storage("backing filesystem", Warning, message)
    } else {
        storage("backing filesystem", Ok, format!("{backing} at {place}"))
    };
    let d_type = if fs.d_type {
        storage("d_type", Ok, "supported")
    } else {
        let message = format!(
            "d_type is not supported on {backing} at {place}: overlay2 needs d_type; \
             falling back to vfs"
        );
        storage("d_type", Warning, message)
    };
    vec![backing_fs, d_type]
}

fn network(facts: &Facts) -> Vec<Finding> {
    let at =
        |check, severity, message: &str| Finding::new(Section::Network, check, severity, message);
    // A missing bridge file means br_netfilter is not loaded, which dockerd reports as disabled.
    let bridge = |check, value: Option<bool>, disabled: &str| match value {
        Some(true) => at(check, Ok, "enabled"),
        _ => at(check, Warning, disabled),
    };
    let forwarding = match facts.ipv4_forwarding {
        Some(true) => at("ip forwarding", Ok, "enabled"),
        Some(false) => at("ip forwarding", Warning, "IPv4 forwarding is disabled"),
        None => at(
            "ip forwarding",
            Warning,
            "IPv4 forwarding unknown: cannot read /proc/sys/net/ipv4/ip_forward",
        ),
    };
    vec![
        forwarding,
        bridge(
            "bridge-nf-call-iptables",
            facts.bridge_nf_iptables,
            "bridge-nf-call-iptables is disabled",
        ),
        bridge(
            "bridge-nf-call-ip6tables",
            facts.bridge_nf_ip6tables,
            "bridge-nf-call-ip6tables is disabled",
        ),
    ]
}

fn security(check: &str, severity: Severity, message: &str) -> Finding {
    Finding::new(Section::Security, check, severity, message)
}

fn seccomp(facts: &Facts) -> Finding {
    match facts.seccomp {
        Some(true) => security("seccomp", Ok, "supported"),
        Some(false) => security(
            "seccomp",
            Warning,
            "seccomp is not supported by the kernel; containers run without a seccomp profile",
        ),
        None => security(
            "seccomp",
            Warning,
            "seccomp support unknown: cannot read /proc/self/status",
        ),
    }
}

/// AppArmor is optional: Debian hosts without it run containers fine, so it is never a warning.
fn apparmor(facts: &Facts) -> Finding {
    let state = if facts.apparmor {
        "enabled"
    } else {
        "not enabled"
    };
    security("apparmor", Ok, state)
}

/// Bytes as GiB with two decimals, as `docker info` prints `Total Memory`.
fn gib(bytes: u64) -> String {
    // Precision lost past 2^53 bytes does not show in two decimals.
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64 / f64::from(1u32 << 30);
    format!("{value:.2}GiB")
}

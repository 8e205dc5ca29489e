//! moby's `verifyPlatformContainerResources` (dockerd 20.10's): memory, CPU, cpuset and block
//! IO limits. A limit the host cannot apply is discarded with a warning; a value out of range
//! is refused.

use crate::error::Error;
use api::types::HostConfig;

use super::{HostFacts, cpuset, refuse};

/// The smallest memory limit (and reservation, and kernel memory limit) dockerd accepts: not
/// the kernel's minimum, but enough for a container to start.
const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// The checks and adjustments, in moby's order; warnings are added to `warnings`.
pub(super) fn check(
    hc: &mut HostConfig,
    facts: &HostFacts,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    memory(hc, facts, warnings)?;
    cpu(hc, facts, warnings)?;
    cpusets(hc, facts, warnings)?;
    blkio(hc, facts, warnings)
}

/// The text of a limit the kernel cannot apply.
fn unsupported(what: &str, then: &str) -> String {
    format!("Your kernel does not support {what} or the cgroup is not mounted. {then}")
}

fn memory(hc: &mut HostConfig, facts: &HostFacts, warnings: &mut Vec<String>) -> Result<(), Error> {
    let limits = &facts.limits;
    // -1 asks for the host's swappiness: the same as none.
    if hc.memory_swappiness == Some(-1) {
        hc.memory_swappiness = None;
    }
    if hc.memory != 0 && hc.memory < MIN_MEMORY {
        return refuse("Minimum memory limit allowed is 6MB");
    }
    if hc.memory > 0 && !limits.memory {
        warnings.push(unsupported(
            "memory limit capabilities",
            "Limitation discarded.",
        ));
        hc.memory = 0;
        hc.memory_swap = -1;
    }
    if hc.memory > 0 && hc.memory_swap != -1 && !limits.swap {
        warnings.push(unsupported(
            "swap limit capabilities",
            "Memory limited without swap.",
        ));
        hc.memory_swap = -1;
    }
    if hc.memory > 0 && hc.memory_swap > 0 && hc.memory_swap < hc.memory {
        return refuse("Minimum memoryswap limit should be larger than memory limit, see usage");
    }
    if hc.memory == 0 && hc.memory_swap > 0 {
        return refuse(
            "You should always set the Memory limit when using Memoryswap limit, see usage",
        );
    }
    if hc.memory_swappiness.is_some() && !limits.memory_swappiness {
        warnings.push(unsupported(
            "memory swappiness capabilities",
            "Memory swappiness discarded.",
        ));
        hc.memory_swappiness = None;
    }
    if let Some(s) = hc.memory_swappiness.filter(|s| !(0..=100).contains(s)) {
        return refuse(format!(
            "Invalid value: {s}, valid memory swappiness range is 0-100"
        ));
    }
    if hc.memory_reservation > 0 && !limits.memory_reservation {
        warnings.push(unsupported(
            "memory soft limit capabilities",
            "Limitation discarded.",
        ));
        hc.memory_reservation = 0;
    }
    if hc.memory_reservation > 0 && hc.memory_reservation < MIN_MEMORY {
        return refuse("Minimum memory reservation allowed is 6MB");
    }
    if hc.memory > 0 && hc.memory_reservation > 0 && hc.memory < hc.memory_reservation {
        return refuse(
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        );
    }
    kernel_memory(hc, facts, warnings)?;
    if hc.oom_kill_disable.is_some() && !limits.oom_kill_disable {
        // Only asking to disable it is worth a warning.
        if hc.oom_kill_disable == Some(true) {
            warnings.push(
                "Your kernel does not support OomKillDisable. OomKillDisable discarded.".into(),
            );
        }
        hc.oom_kill_disable = None;
    }
    if hc.oom_kill_disable == Some(true) && hc.memory == 0 {
        warnings.push(
            "OOM killer is disabled for the container, but no memory limit is set, this can \
             result in the system running out of resources."
                .into(),
        );
    }
    if hc.pids_limit.is_some() && !limits.pids {
        if hc.pids_limit.is_some_and(|p| p > 0) {
            warnings.push(unsupported(
                "PIDs limit capabilities",
                "PIDs limit discarded.",
            ));
        }
        hc.pids_limit = None;
    }
    Ok(())
}

/// dockerd 20.10's kernel memory checks (the limit is deprecated; newer moby ignores it), then a
/// refusal where the limit would be set.
fn kernel_memory(
    hc: &mut HostConfig,
    facts: &HostFacts,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let Some(kmem) = hc.kernel_memory.filter(|&k| k > 0) else {
        return Ok(());
    };
    warnings.push(
        "Specifying a kernel memory limit is deprecated and will be removed in a future release."
            .into(),
    );
    if !facts.limits.kernel_memory {
        warnings.push(unsupported(
            "kernel memory limit capabilities",
            "Limitation discarded.",
        ));
        hc.kernel_memory = Some(0);
        return Ok(());
    }
    if kmem < MIN_MEMORY {
        return refuse("Minimum kernel memory limit allowed is 6MB");
    }
    // Where dockerd 20.10 would pass it on, runc (1.0 and later) ignores it: Linux deprecated
    // `kmem.limit_in_bytes` in 5.4. Refused rather than accepted without effect.
    refuse(
        "Kernel memory limit is not supported: the runtime ignores kernel memory limits \
         (deprecated by Linux since 5.4); use --memory instead",
    )
}

fn cpu(hc: &mut HostConfig, facts: &HostFacts, warnings: &mut Vec<String>) -> Result<(), Error> {
    let limits = &facts.limits;
    if hc.nano_cpus > 0 && hc.cpu_period > 0 {
        return refuse("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    }
    if hc.nano_cpus > 0 && hc.cpu_quota > 0 {
        return refuse("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    }
    if hc.nano_cpus > 0 && !limits.cpu_cfs {
        return refuse(
            "NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the \
             cgroup is not mounted",
        );
    }
    let ncpu = facts.ncpu as i64;
    if hc.nano_cpus < 0 || hc.nano_cpus > ncpu.saturating_mul(1_000_000_000) {
        return refuse(format!(
            "Range of CPUs is from 0.01 to {ncpu}.00, as there are only {ncpu} CPUs available"
        ));
    }
    if hc.cpu_shares > 0 && !limits.cpu_shares {
        warnings.push(unsupported("CPU shares", "Shares discarded."));
        hc.cpu_shares = 0;
    }
    if (hc.cpu_period != 0 || hc.cpu_quota != 0) && !limits.cpu_cfs {
        warnings.push(
            "Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.".into(),
        );
        hc.cpu_period = 0;
        hc.cpu_quota = 0;
    }
    if hc.cpu_period != 0 && !(1000..=1_000_000).contains(&hc.cpu_period) {
        return refuse(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. \
             1000000)",
        );
    }
    if hc.cpu_quota > 0 && hc.cpu_quota < 1000 {
        return refuse("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    }
    if hc.cpu_percent > 0 {
        warnings.push("linux does not support CPU percent. Percent discarded.".into());
        hc.cpu_percent = 0;
    }
    // dockerd takes the Windows-only count without a word; wharf says it drops it, as it does
    // for the percent.
    if hc.cpu_count > 0 {
        warnings.push("linux does not support CPU count. Count discarded.".into());
        hc.cpu_count = 0;
    }
    Ok(())
}

fn cpusets(
    hc: &mut HostConfig,
    facts: &HostFacts,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let limits = &facts.limits;
    if (!hc.cpuset_cpus.is_empty() || !hc.cpuset_mems.is_empty()) && !limits.cpuset {
        warnings.push(unsupported("cpuset", "Cpuset discarded."));
        hc.cpuset_cpus.clear();
        hc.cpuset_mems.clear();
    }
    let lists = [
        (&hc.cpuset_cpus, &limits.cpus, "cpuset cpus", "CPUs"),
        (&hc.cpuset_mems, &limits.mems, "cpuset mems", "memory nodes"),
    ];
    for (asked, have, field, what) in lists {
        match cpuset::available(asked, have) {
            Err(e) => return refuse(format!("Invalid value {asked} for {field}: {e}")),
            Ok(false) => {
                return refuse(format!(
                    "Requested {what} are not available - requested {asked}, available: {have}"
                ));
            }
            Ok(true) => {}
        }
    }
    Ok(())
}

fn blkio(hc: &mut HostConfig, facts: &HostFacts, warnings: &mut Vec<String>) -> Result<(), Error> {
    let limits = &facts.limits;
    if hc.blkio_weight > 0 && !limits.blkio_weight {
        warnings.push(unsupported("Block I/O weight", "Weight discarded."));
        hc.blkio_weight = 0;
    }
    if hc.blkio_weight > 0 && !(10..=1000).contains(&hc.blkio_weight) {
        return refuse("Range of blkio weight is from 10 to 1000");
    }
    let devices = [
        (
            &mut hc.blkio_weight_device,
            limits.blkio_weight_device,
            "Block I/O weight_device",
            "Weight-device discarded.",
        ),
        (
            &mut hc.blkio_device_read_bps,
            limits.blkio_read_bps,
            "BPS Block I/O read limit",
            "Block I/O BPS read limit discarded.",
        ),
        (
            &mut hc.blkio_device_write_bps,
            limits.blkio_write_bps,
            "BPS Block I/O write limit",
            "Block I/O BPS write limit discarded.",
        ),
        (
            &mut hc.blkio_device_read_iops,
            limits.blkio_read_iops,
            "IOPS Block read limit",
            "Block I/O IOPS read limit discarded.",
        ),
        (
            &mut hc.blkio_device_write_iops,
            limits.blkio_write_iops,
            "IOPS Block write limit",
            "Block I/O IOPS write limit discarded.",
        ),
    ];
    for (list, supported, what, then) in devices {
        if list.as_ref().is_some_and(|l| !l.is_empty()) && !supported {
            warnings.push(unsupported(what, then));
            *list = Some(Vec::new());
        }
    }
    Ok(())
}

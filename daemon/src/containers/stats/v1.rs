//! Reading a container's cgroup v1 files as containerd's v1 metrics and dockerd's
//! `stats_unix.go` turn them into the stats JSON: `cpuacct`, `cpu` (throttling), `memory`,
//! `pids` and `blkio` (the CFQ `*_recursive` files when the kernel has them, else the
//! throttle counters).

use std::path::Path;

use api::stats::{BlkioStatEntry, BlkioStats, CpuStats, CpuUsage, MemoryStats, ThrottlingData};

use super::parse::{file, key_values, number, pids_stats};
use super::{CLOCK_TICKS, Usage};
use crate::containers::cgroup::Cgroup;

/// The `memory.stat` figures dockerd reports on cgroup v1 (each present, 0 when missing).
const MEMORY_KEYS: [&str; 32] = [
    "cache",
    "rss",
    "rss_huge",
    "mapped_file",
    "dirty",
    "writeback",
    "pgpgin",
    "pgpgout",
    "pgfault",
    "pgmajfault",
    "inactive_anon",
    "active_anon",
    "inactive_file",
    "active_file",
    "unevictable",
    "hierarchical_memory_limit",
    "hierarchical_memsw_limit",
    "total_cache",
    "total_rss",
    "total_rss_huge",
    "total_mapped_file",
    "total_dirty",
    "total_writeback",
    "total_pgpgin",
    "total_pgpgout",
    "total_pgfault",
    "total_pgmajfault",
    "total_inactive_anon",
    "total_active_anon",
    "total_inactive_file",
    "total_active_file",
    "total_unevictable",
];

/// The CFQ files (`blkio.<name>`), in containerd's order, when `blkio.io_serviced_recursive`
/// exists.
const CFQ_FILES: [&str; 8] = [
    "sectors_recursive",
    "io_service_bytes_recursive",
    "io_serviced_recursive",
    "io_queued_recursive",
    "io_service_time_recursive",
    "io_wait_time_recursive",
    "io_merged_recursive",
    "time_recursive",
];

/// Reads what the cgroup's controllers report; a controller that is missing leaves its part
/// empty.
pub(super) fn read(cg: &Cgroup) -> Usage {
    Usage {
        cpu: cg
            .dir("cpuacct")
            .map(|d| cpu(d, cg.dir("cpu")))
            .unwrap_or_default(),
        memory: cg.dir("memory").map(memory).unwrap_or_default(),
        pids: cg.dir("pids").map(pids_stats).unwrap_or_default(),
        blkio: cg.dir("blkio").map(blkio).unwrap_or_default(),
    }
}

fn cpu(acct: &Path, cpu: Option<&Path>) -> CpuStats {
    let stat = key_values(&file(acct, "cpuacct.stat"));
    let ticks = |k: &str| stat.get(k).copied().unwrap_or(0) * (1_000_000_000 / CLOCK_TICKS);
    let throttle = cpu
        .map(|d| key_values(&file(d, "cpu.stat")))
        .unwrap_or_default();
    let t = |k: &str| throttle.get(k).copied().unwrap_or(0);
    CpuStats {
        cpu_usage: CpuUsage {
            total_usage: number(&file(acct, "cpuacct.usage")),
            percpu_usage: file(acct, "cpuacct.usage_percpu")
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect(),
            usage_in_kernelmode: ticks("system"),
            usage_in_usermode: ticks("user"),
        },
        throttling_data: ThrottlingData {
            periods: t("nr_periods"),
            throttled_periods: t("nr_throttled"),
            throttled_time: t("throttled_time"),
        },
        ..CpuStats::default()
    }
}

fn memory(dir: &Path) -> MemoryStats {
    let stat = key_values(&file(dir, "memory.stat"));
    MemoryStats {
        usage: number(&file(dir, "memory.usage_in_bytes")),
        max_usage: number(&file(dir, "memory.max_usage_in_bytes")),
        stats: MEMORY_KEYS
            .iter()
            .map(|k| ((*k).to_owned(), stat.get(*k).copied().unwrap_or(0)))
            .collect(),
        failcnt: number(&file(dir, "memory.failcnt")),
        limit: number(&file(dir, "memory.limit_in_bytes")),
    }
}

fn blkio(dir: &Path) -> BlkioStats {
    let entries = |name: &str| Some(blkio_entries(&file(dir, &format!("blkio.{name}"))));
    if dir.join("blkio.io_serviced_recursive").exists() {
        let [
            sectors,
            bytes,
            serviced,
            queued,
            service_time,
            wait_time,
            merged,
            time,
        ] = CFQ_FILES.map(entries);
        return BlkioStats {
            io_service_bytes_recursive: bytes,
            io_serviced_recursive: serviced,
            io_queue_recursive: queued,
            io_service_time_recursive: service_time,
            io_wait_time_recursive: wait_time,
            io_merged_recursive: merged,
            io_time_recursive: time,
            sectors_recursive: sectors,
        };
    }
    BlkioStats {
        io_service_bytes_recursive: entries("throttle.io_service_bytes"),
        io_serviced_recursive: entries("throttle.io_serviced"),
        io_queue_recursive: Some(Vec::new()),
        io_service_time_recursive: Some(Vec::new()),
        io_wait_time_recursive: Some(Vec::new()),
        io_merged_recursive: Some(Vec::new()),
        io_time_recursive: Some(Vec::new()),
        sectors_recursive: Some(Vec::new()),
    }
}

/// `8:0 Read 4096` lines (`8:0 4096` without an operation); the `Total` line is left out.
fn blkio_entries(text: &str) -> Vec<BlkioStatEntry> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (dev, op, value) = match f.as_slice() {
                [dev, op, value] => (*dev, *op, *value),
                [dev, value] => (*dev, "", *value),
                _ => return None,
            };
            let (major, minor) = dev.split_once(':')?;
            Some(BlkioStatEntry {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
                op: op.to_owned(),
                value: value.parse().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn fixture() -> Cgroup {
        let root =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/containers/stats/fixtures/v1");
        Cgroup::V1(BTreeMap::from(
            ["cpu", "cpuacct", "memory", "pids", "blkio"].map(|c| (c.to_owned(), root.join(c))),
        ))
    }

    #[test]
    fn v1_files_read_as_dockerd_reports_them() {
        let u = read(&fixture());
        assert_eq!(u.cpu.cpu_usage.total_usage, 1_234_567_890);
        assert_eq!(u.cpu.cpu_usage.percpu_usage, [1_000_000_000, 234_567_890]);
        assert_eq!(u.cpu.cpu_usage.usage_in_usermode, 800_000_000);
        assert_eq!(u.cpu.cpu_usage.usage_in_kernelmode, 300_000_000);
        assert_eq!(u.cpu.throttling_data.throttled_periods, 2);
        assert_eq!(u.cpu.throttling_data.throttled_time, 5000);
        assert_eq!(u.memory.usage, 10_485_760);
        assert_eq!(u.memory.max_usage, 20_971_520);
        assert_eq!(u.memory.limit, 67_108_864);
        assert_eq!(u.memory.stats.len(), 32);
        assert_eq!(u.memory.stats["total_inactive_file"], 4096);
        assert_eq!(u.memory.stats["cache"], 8192);
        assert_eq!(u.memory.stats["total_unevictable"], 0);
        assert_eq!((u.pids.current, u.pids.limit), (3, 50));
        let bytes = u.blkio.io_service_bytes_recursive.expect("bytes");
        assert_eq!(bytes.len(), 2);
        assert_eq!(
            (bytes[0].major, bytes[0].minor, bytes[0].op.as_str()),
            (8, 0, "Read")
        );
        assert_eq!(bytes[1].value, 512);
        assert_eq!(u.blkio.io_queue_recursive, Some(vec![]));
    }
}

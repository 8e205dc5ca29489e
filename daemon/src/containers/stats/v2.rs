//! Reading a container's cgroup v2 files as dockerd's `stats_unix.go` (v2 branch) reports
//! them: `cpu.stat` in nanoseconds without per-CPU figures, `memory.current`/`memory.max`
//! without a maximum usage, `memory.stat`'s v2 names, the OOM count of `memory.events` as
//! `failcnt`, `pids.*`, and `io.stat`'s bytes as `io_service_bytes_recursive` (the other block
//! IO lists `null`).

use std::path::Path;

use api::stats::{BlkioStatEntry, BlkioStats, CpuStats, CpuUsage, MemoryStats, ThrottlingData};

use super::Usage;
use super::parse::{file, key_values, number, pids_stats};

/// The `memory.stat` figures dockerd reports on cgroup v2 (each present, 0 when missing).
const MEMORY_KEYS: [&str; 31] = [
    "anon",
    "file",
    "kernel_stack",
    "slab",
    "sock",
    "shmem",
    "file_mapped",
    "file_dirty",
    "file_writeback",
    "anon_thp",
    "inactive_anon",
    "active_anon",
    "inactive_file",
    "active_file",
    "unevictable",
    "slab_reclaimable",
    "slab_unreclaimable",
    "pgfault",
    "pgmajfault",
    "workingset_refault",
    "workingset_activate",
    "workingset_nodereclaim",
    "pgrefill",
    "pgscan",
    "pgsteal",
    "pgactivate",
    "pgdeactivate",
    "pglazyfree",
    "pglazyfreed",
    "thp_fault_alloc",
    "thp_collapse_alloc",
];

/// Reads the cgroup directory `dir`.
pub(super) fn read(dir: &Path) -> Usage {
    Usage {
        cpu: cpu(dir),
        memory: memory(dir),
        pids: pids_stats(dir),
        blkio: blkio(dir),
    }
}

fn cpu(dir: &Path) -> CpuStats {
    let stat = key_values(&file(dir, "cpu.stat"));
    let ns = |k: &str| stat.get(k).copied().unwrap_or(0) * 1000;
    let n = |k: &str| stat.get(k).copied().unwrap_or(0);
    CpuStats {
        cpu_usage: CpuUsage {
            total_usage: ns("usage_usec"),
            percpu_usage: Vec::new(),
            usage_in_kernelmode: ns("system_usec"),
            usage_in_usermode: ns("user_usec"),
        },
        throttling_data: ThrottlingData {
            periods: n("nr_periods"),
            throttled_periods: n("nr_throttled"),
            throttled_time: ns("throttled_usec"),
        },
        ..CpuStats::default()
    }
}

fn memory(dir: &Path) -> MemoryStats {
    let stat = key_values(&file(dir, "memory.stat"));
    let events = key_values(&file(dir, "memory.events"));
    let limit = match file(dir, "memory.max").trim() {
        "max" => u64::MAX,
        v => number(v),
    };
    MemoryStats {
        usage: number(&file(dir, "memory.current")),
        max_usage: 0,
        stats: MEMORY_KEYS
            .iter()
            .map(|k| ((*k).to_owned(), stat.get(*k).copied().unwrap_or(0)))
            .collect(),
        failcnt: events.get("oom").copied().unwrap_or(0),
        limit,
    }
}

fn blkio(dir: &Path) -> BlkioStats {
    let mut bytes = Vec::new();
    for line in file(dir, "io.stat").lines() {
        let mut f = line.split_whitespace();
        let Some((major, minor)) = f.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        let kv: std::collections::BTreeMap<&str, u64> = f
            .filter_map(|p| p.split_once('='))
            .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
            .collect();
        for (op, key) in [("read", "rbytes"), ("write", "wbytes")] {
            bytes.push(BlkioStatEntry {
                major,
                minor,
                op: op.to_owned(),
                value: kv.get(key).copied().unwrap_or(0),
            });
        }
    }
    BlkioStats {
        io_service_bytes_recursive: (!bytes.is_empty()).then_some(bytes),
        ..BlkioStats::default()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn v2_files_read_as_dockerd_reports_them() {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/containers/stats/fixtures/v2");
        let u = read(&dir);
        assert_eq!(u.cpu.cpu_usage.total_usage, 1_500_000);
        assert!(u.cpu.cpu_usage.percpu_usage.is_empty());
        assert_eq!(u.cpu.cpu_usage.usage_in_usermode, 1_000_000);
        assert_eq!(u.cpu.cpu_usage.usage_in_kernelmode, 500_000);
        assert_eq!(u.cpu.throttling_data.periods, 4);
        assert_eq!(u.cpu.throttling_data.throttled_time, 7000);
        assert_eq!(u.memory.usage, 2_097_152);
        assert_eq!(u.memory.max_usage, 0);
        assert_eq!(
            u.memory.limit,
            u64::MAX,
            "max: unlimited, capped by the caller"
        );
        assert_eq!(u.memory.failcnt, 2);
        assert_eq!(u.memory.stats.len(), 31);
        assert_eq!(u.memory.stats["inactive_file"], 262_144);
        assert_eq!(u.memory.stats["workingset_refault"], 0);
        assert_eq!((u.pids.current, u.pids.limit), (4, 0));
        let bytes = u.blkio.io_service_bytes_recursive.expect("bytes");
        assert_eq!(bytes.len(), 4);
        assert_eq!((bytes[0].op.as_str(), bytes[0].value), ("read", 4096));
        assert_eq!(
            (bytes[3].major, bytes[3].op.as_str(), bytes[3].value),
            (253, "write", 512)
        );
        assert_eq!(u.blkio.io_serviced_recursive, None);
    }
}

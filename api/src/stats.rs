//! The JSON of `GET /containers/{id}/stats` (moby's `types.StatsJSON`). The spec leaves the
//! answer untyped (`type: object`), so these types live outside [`crate::types`], whose every
//! type is checked against a spec definition; the field names and the `omitempty`s are moby's.

use std::collections::BTreeMap;

use serde::Serialize;

/// One sample of a container's resource usage, with the previous sample's CPU figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContainerStats {
    /// When this sample was read (Go's `RFC3339Nano`; Go's zero time when there is none).
    pub read: String,
    /// When the previous sample was read (Go's zero time when there is none).
    pub preread: String,
    /// Processes.
    pub pids_stats: PidsStats,
    /// Block IO.
    pub blkio_stats: BlkioStats,
    /// Windows only (always 0).
    pub num_procs: u32,
    /// Windows only (always empty).
    pub storage_stats: StorageStats,
    /// CPU now.
    pub cpu_stats: CpuStats,
    /// CPU at the previous sample.
    pub precpu_stats: CpuStats,
    /// Memory.
    pub memory_stats: MemoryStats,
    /// The container's name, with its `/`.
    pub name: String,
    /// The container's full ID.
    pub id: String,
    /// Per interface of the container's network namespace (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub networks: Option<BTreeMap<String, NetworkStats>>,
}

/// `pids_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PidsStats {
    /// Processes and threads in the cgroup.
    #[serde(skip_serializing_if = "is_zero")]
    pub current: u64,
    /// The cgroup's limit (absent when unlimited).
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: u64,
}

/// One line of a cgroup v1 `blkio.*` file (or a cgroup v2 `io.stat` figure).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlkioStatEntry {
    /// The device's major number.
    pub major: u64,
    /// The device's minor number.
    pub minor: u64,
    /// `Read`, `Write`, `Sync`, `Async`, `Discard`, `Total` (v1), `read`/`write` (v2), or empty.
    pub op: String,
    /// The figure.
    pub value: u64,
}

/// `blkio_stats`: `null` for what the host does not report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlkioStats {
    /// Bytes moved.
    pub io_service_bytes_recursive: Option<Vec<BlkioStatEntry>>,
    /// Operations.
    pub io_serviced_recursive: Option<Vec<BlkioStatEntry>>,
    /// Operations queued.
    pub io_queue_recursive: Option<Vec<BlkioStatEntry>>,
    /// Time servicing.
    pub io_service_time_recursive: Option<Vec<BlkioStatEntry>>,
    /// Time waiting.
    pub io_wait_time_recursive: Option<Vec<BlkioStatEntry>>,
    /// Operations merged.
    pub io_merged_recursive: Option<Vec<BlkioStatEntry>>,
    /// Time with access to the device.
    pub io_time_recursive: Option<Vec<BlkioStatEntry>>,
    /// Sectors moved.
    pub sectors_recursive: Option<Vec<BlkioStatEntry>>,
}

/// `storage_stats` (Windows only: always `{}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StorageStats {}

/// `cpu_stats` and `precpu_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuStats {
    /// The container's CPU time.
    pub cpu_usage: CpuUsage,
    /// The host's CPU time since boot, in nanoseconds (absent when unknown).
    #[serde(skip_serializing_if = "is_zero")]
    pub system_cpu_usage: u64,
    /// CPUs online.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub online_cpus: u32,
    /// CFS throttling.
    pub throttling_data: ThrottlingData,
}

/// `cpu_usage`, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuUsage {
    /// In total.
    pub total_usage: u64,
    /// Per CPU (cgroup v1 only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_usage: Vec<u64>,
    /// In kernel mode.
    pub usage_in_kernelmode: u64,
    /// In user mode.
    pub usage_in_usermode: u64,
}

/// `throttling_data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ThrottlingData {
    /// Periods with throttling active.
    pub periods: u64,
    /// Periods in which the container hit its limit.
    pub throttled_periods: u64,
    /// Time throttled, in nanoseconds.
    pub throttled_time: u64,
}

/// `memory_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemoryStats {
    /// Bytes in use (page cache included).
    #[serde(skip_serializing_if = "is_zero")]
    pub usage: u64,
    /// The highest usage seen (cgroup v1 only).
    #[serde(skip_serializing_if = "is_zero")]
    pub max_usage: u64,
    /// The cgroup's `memory.stat` figures (v1 and v2 name them differently).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stats: BTreeMap<String, u64>,
    /// Times the limit was hit (v1), OOM events (v2).
    #[serde(skip_serializing_if = "is_zero")]
    pub failcnt: u64,
    /// The limit, at most the host's memory.
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: u64,
}

/// One interface's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetworkStats {
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Incoming packets dropped.
    pub rx_dropped: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Send errors.
    pub tx_errors: u64,
    /// Outgoing packets dropped.
    pub tx_dropped: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_sample_is_written_as_dockerd_writes_one() {
        let s = ContainerStats {
            read: "0001-01-01T00:00:00Z".into(),
            preread: "0001-01-01T00:00:00Z".into(),
            name: "/c".into(),
            id: "abc".into(),
            ..ContainerStats::default()
        };
        let v = serde_json::to_value(&s).expect("serialises");
        assert_eq!(v["pids_stats"], serde_json::json!({}));
        assert_eq!(v["memory_stats"], serde_json::json!({}));
        assert_eq!(v["storage_stats"], serde_json::json!({}));
        assert_eq!(
            v["blkio_stats"]["io_service_bytes_recursive"],
            serde_json::Value::Null
        );
        assert_eq!(
            v["cpu_stats"],
            serde_json::json!({
                "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}
            })
        );
        assert!(v.get("networks").is_none());
        assert_eq!(v["num_procs"], 0);
    }
}

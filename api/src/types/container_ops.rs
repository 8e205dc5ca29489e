//! The bodies of `top` and `update` (`/containers/{id}/top`, `/containers/{id}/update`).

use serde::{Deserialize, Serialize};

use super::RestartPolicy;

/// `ContainerTopResponse`: `ps`'s columns and the rows of the container's processes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ContainerTopResponse {
    /// The column titles.
    #[serde(rename = "Titles")]
    pub titles: Vec<String>,
    /// One row per process, a value per title.
    #[serde(rename = "Processes")]
    pub processes: Vec<Vec<String>>,
}

/// `POST /containers/{id}/update`'s body: `Resources` and `RestartPolicy`. A zero (or absent)
/// value leaves the current one, as in moby's `UpdateContainer`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ContainerUpdateRequest {
    /// CPU shares.
    #[serde(rename = "CpuShares")]
    pub cpu_shares: i64,
    /// Memory limit in bytes.
    #[serde(rename = "Memory")]
    pub memory: i64,
    /// CPUs in billionths (`--cpus`).
    #[serde(rename = "NanoCpus")]
    pub nano_cpus: i64,
    /// Block IO weight.
    #[serde(rename = "BlkioWeight")]
    pub blkio_weight: u16,
    /// CFS period in microseconds.
    #[serde(rename = "CpuPeriod")]
    pub cpu_period: i64,
    /// CFS quota in microseconds.
    #[serde(rename = "CpuQuota")]
    pub cpu_quota: i64,
    /// Real-time period in microseconds.
    #[serde(rename = "CpuRealtimePeriod")]
    pub cpu_realtime_period: i64,
    /// Real-time runtime in microseconds.
    #[serde(rename = "CpuRealtimeRuntime")]
    pub cpu_realtime_runtime: i64,
    /// The CPUs allowed.
    #[serde(rename = "CpusetCpus")]
    pub cpuset_cpus: String,
    /// The memory nodes allowed.
    #[serde(rename = "CpusetMems")]
    pub cpuset_mems: String,
    /// Memory soft limit in bytes.
    #[serde(rename = "MemoryReservation")]
    pub memory_reservation: i64,
    /// Memory plus swap in bytes (-1: unlimited).
    #[serde(rename = "MemorySwap")]
    pub memory_swap: i64,
    /// Process limit (0 or less: unlimited).
    #[serde(rename = "PidsLimit")]
    pub pids_limit: Option<i64>,
    /// The restart policy (an empty name keeps the current one).
    #[serde(rename = "RestartPolicy")]
    pub restart_policy: RestartPolicy,
}

/// `ContainerUpdateResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ContainerUpdateResponse {
    /// Limits the host could not apply (always a list, never null).
    #[serde(rename = "Warnings")]
    pub warnings: Vec<String>,
}

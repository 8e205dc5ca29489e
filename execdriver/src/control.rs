//! Changing a running container in place through the runtime: freezing and thawing it
//! (`runc pause` / `runc resume`, the cgroup freezer) and changing its cgroup limits
//! (`runc update`).

use crate::error::Result;
use crate::runc::{command, run};
use crate::spec::validate_id;
use crate::state::Runtime;

/// Freezes every process of the container (`runc pause`).
pub fn pause(rt: &Runtime, id: &str) -> Result<()> {
    validate_id(id)?;
    let mut cmd = command(rt, None);
    cmd.args(["pause", id]);
    run(cmd, "runc pause", None)
}

/// Thaws the container's processes (`runc resume`).
pub fn resume(rt: &Runtime, id: &str) -> Result<()> {
    validate_id(id)?;
    let mut cmd = command(rt, None);
    cmd.args(["resume", id]);
    run(cmd, "runc resume", None)
}

/// The limits `runc update` can change on a running container, in Docker's units; `None`
/// leaves a limit as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveResources {
    /// Memory limit in bytes (-1: unlimited).
    pub memory: Option<i64>,
    /// Memory plus swap in bytes (-1: unlimited).
    pub memory_swap: Option<i64>,
    /// Memory soft limit in bytes.
    pub memory_reservation: Option<i64>,
    /// CPU shares.
    pub cpu_shares: Option<u64>,
    /// CFS period in microseconds.
    pub cpu_period: Option<u64>,
    /// CFS quota in microseconds (-1: unlimited).
    pub cpu_quota: Option<i64>,
    /// The CPUs the container may use (`0-2`, `0,1`).
    pub cpuset_cpus: Option<String>,
    /// The memory nodes the container may use.
    pub cpuset_mems: Option<String>,
    /// Maximum number of processes (0 or less: unlimited).
    pub pids_limit: Option<i64>,
    /// Block IO weight (10 to 1000).
    pub blkio_weight: Option<u16>,
}

impl LiveResources {
    /// `runc update`'s flags for the limits that are set, in the order runc applies them.
    pub fn runc_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut flag = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                args.push(format!("--{name}={v}"));
            }
        };
        flag("memory", self.memory.map(|v| v.to_string()));
        flag("memory-swap", self.memory_swap.map(|v| v.to_string()));
        flag(
            "memory-reservation",
            self.memory_reservation.map(|v| v.to_string()),
        );
        flag("cpu-share", self.cpu_shares.map(|v| v.to_string()));
        flag("cpu-period", self.cpu_period.map(|v| v.to_string()));
        flag("cpu-quota", self.cpu_quota.map(|v| v.to_string()));
        flag("cpuset-cpus", self.cpuset_cpus.clone());
        flag("cpuset-mems", self.cpuset_mems.clone());
        flag("pids-limit", self.pids_limit.map(|v| v.to_string()));
        flag("blkio-weight", self.blkio_weight.map(|v| v.to_string()));
        args
    }

    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.runc_args().is_empty()
    }
}

/// Applies `res` to the running container (`runc update`).
pub fn update(rt: &Runtime, id: &str, res: &LiveResources) -> Result<()> {
    validate_id(id)?;
    if res.is_empty() {
        return Ok(());
    }
    let mut cmd = command(rt, None);
    cmd.arg("update").args(res.runc_args()).arg(id);
    run(cmd, "runc update", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_flags_only_for_what_is_set() {
        assert!(LiveResources::default().is_empty());
        let r = LiveResources {
            memory: Some(64 << 20),
            memory_swap: Some(-1),
            cpu_shares: Some(512),
            cpuset_cpus: Some("0".into()),
            pids_limit: Some(20),
            ..LiveResources::default()
        };
        assert_eq!(
            r.runc_args(),
            [
                "--memory=67108864",
                "--memory-swap=-1",
                "--cpu-share=512",
                "--cpuset-cpus=0",
                "--pids-limit=20"
            ]
        );
    }
}

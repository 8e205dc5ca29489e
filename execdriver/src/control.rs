//! Changing a running container in place through the runtime: freezing and thawing it
//! (`runc pause` / `runc resume`, the cgroup freezer) and changing its cgroup limits
//! (`runc update`, with the same [`Resources`] a bundle gets).

use crate::error::Result;
use crate::runc::{command, run};
use crate::spec::{Resources, validate_id};
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

/// `runc update`'s flags for the limits of `res` that are set (swappiness and the OOM killer
/// are not among what it changes, nor what an update asks for). A pids limit of zero or less is
/// "unlimited", as in [`Resources`].
pub fn update_args(res: &Resources) -> Vec<String> {
    let mut args = Vec::new();
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            args.push(format!("--{name}={v}"));
        }
    };
    flag("memory", res.memory.map(|v| v.to_string()));
    flag("memory-swap", res.memory_swap.map(|v| v.to_string()));
    flag(
        "memory-reservation",
        res.memory_reservation.map(|v| v.to_string()),
    );
    flag("cpu-share", res.cpu_shares.map(|v| v.to_string()));
    flag("cpu-period", res.cpu_period.map(|v| v.to_string()));
    flag("cpu-quota", res.cpu_quota.map(|v| v.to_string()));
    flag("cpuset-cpus", res.cpuset_cpus.clone());
    flag("cpuset-mems", res.cpuset_mems.clone());
    flag(
        "pids-limit",
        res.pids_limit
            .map(|v| if v > 0 { v } else { -1 }.to_string()),
    );
    flag("blkio-weight", res.blkio_weight.map(|v| v.to_string()));
    args
}

/// Applies `res` to the running container (`runc update`).
pub fn update(rt: &Runtime, id: &str, res: &Resources) -> Result<()> {
    validate_id(id)?;
    let args = update_args(res);
    if args.is_empty() {
        return Ok(());
    }
    let mut cmd = command(rt, None);
    cmd.arg("update").args(args).arg(id);
    run(cmd, "runc update", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_flags_only_for_what_is_set() {
        assert!(update_args(&Resources::default()).is_empty());
        let r = Resources {
            memory: Some(64 << 20),
            memory_swap: Some(-1),
            cpu_shares: Some(512),
            cpuset_cpus: Some("0".into()),
            pids_limit: Some(20),
            memory_swappiness: Some(10),
            ..Resources::default()
        };
        assert_eq!(
            update_args(&r),
            [
                "--memory=67108864",
                "--memory-swap=-1",
                "--cpu-share=512",
                "--cpuset-cpus=0",
                "--pids-limit=20"
            ]
        );
        let unlimited = Resources {
            pids_limit: Some(0),
            ..Resources::default()
        };
        assert_eq!(update_args(&unlimited), ["--pids-limit=-1"]);
    }
}

//! What the native exec path reads of runc's own record of a container (`state.json` under the
//! runtime root): the init process (checked against PID reuse) and the cgroups runc made.

use std::path::{Path, PathBuf};

use crate::state::Runtime;

/// The running container as runc recorded it.
#[derive(Debug)]
pub(super) struct RuncState {
    /// The container's init process (its PID 1) in the host's PID namespace.
    pub(super) init_pid: i32,
    /// Every cgroup directory the container's processes belong to (one per v1 hierarchy, or
    /// the one v2 directory).
    pub(super) cgroup_paths: Vec<PathBuf>,
}

/// Reads `<root>/<id>/state.json`; why not, when it is missing, unreadable or its init process
/// is gone (runc itself then gives the exec its error).
pub(super) fn read(runtime: &Runtime, id: &str) -> Result<RuncState, String> {
    let path = runtime.root.join(id).join("state.json");
    let bytes = std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("parsing {}: {e}", path.display()))?;
    let init_pid = v["init_process_pid"]
        .as_i64()
        .and_then(|p| i32::try_from(p).ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{} names no init process", path.display()))?;
    // runc 1.1 writes the start time as a number; older ones as a string.
    let start = match &v["init_process_start"] {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{} has no init start time", path.display()))?;
    if start_time(init_pid).as_ref() != Some(&start) {
        return Err(format!("the init process {init_pid} of {id} is gone"));
    }
    let mut cgroup_paths: Vec<PathBuf> = v["cgroup_paths"]
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|p| p.as_str())
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default();
    cgroup_paths.sort();
    cgroup_paths.dedup();
    Ok(RuncState {
        init_pid,
        cgroup_paths,
    })
}

/// Field 22 of `/proc/<pid>/stat`: the process's start time in clock ticks since boot.
fn start_time(pid: i32) -> Option<u64> {
    let stat =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_start_time_and_a_state_file() {
        let me = std::process::id() as i32;
        let start = start_time(me).expect("own start time");
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(root.path().join("c1")).expect("dir");
        let state = serde_json::json!({
            "init_process_pid": me,
            "init_process_start": start,
            "cgroup_paths": {"": "/sys/fs/cgroup/wharf/c1", "memory": "/sys/fs/cgroup/wharf/c1"},
        });
        std::fs::write(root.path().join("c1/state.json"), state.to_string()).expect("write");
        let rt = Runtime::runc(root.path());
        let s = read(&rt, "c1").expect("state");
        assert_eq!(s.init_pid, me);
        assert_eq!(
            s.cgroup_paths,
            vec![PathBuf::from("/sys/fs/cgroup/wharf/c1")]
        );
        let stale = serde_json::json!({"init_process_pid": me, "init_process_start": start + 1});
        std::fs::write(root.path().join("c1/state.json"), stale.to_string()).expect("write");
        assert!(read(&rt, "c1").expect_err("stale").contains("is gone"));
        assert!(read(&rt, "c2").is_err());
    }
}

//! Where a container's cgroup is on this host, for reading it (`top`'s processes, `stats`):
//! `<parent>/<id>` under each v1 controller's mount point, or under `/sys/fs/cgroup` on v2.
//! Reading only: runc creates, changes and removes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{Containers, Record};

/// The v2 tree.
const V2_ROOT: &str = "/sys/fs/cgroup";

/// A container's cgroup directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cgroup {
    /// cgroup v1 (or hybrid): one directory per controller (`memory` → its directory).
    V1(BTreeMap<String, PathBuf>),
    /// cgroup v2: the one directory.
    V2(PathBuf),
}

/// The v1 controllers' mount points, read once.
fn v1_mounts() -> &'static BTreeMap<String, String> {
    static MOUNTS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    MOUNTS.get_or_init(|| hostcheck::v1_mount_points(Path::new("/")))
}

impl Containers {
    /// The cgroup path runc gave the container of `rec` (its `--cgroup-parent`, else the
    /// daemon's, else `/wharf`, then its ID), as [`execdriver::ContainerSpec::cgroups_path`].
    pub(crate) fn cgroup_path(&self, rec: &Record) -> String {
        let parent = match rec.host_config.cgroup_parent.as_str() {
            "" => self
                .inner
                .cgroup_parent
                .as_deref()
                .unwrap_or(execdriver::DEFAULT_CGROUP_PARENT),
            p => p,
        };
        format!("{}/{}", parent.trim_end_matches('/'), rec.id)
    }

    /// The container's cgroup directories on this host.
    pub(crate) fn cgroup(&self, rec: &Record) -> Cgroup {
        let path = self.cgroup_path(rec);
        let rel = path.trim_start_matches('/');
        if self.inner.facts.cgroup_v2 {
            return Cgroup::V2(Path::new(V2_ROOT).join(rel));
        }
        Cgroup::V1(
            v1_mounts()
                .iter()
                .map(|(ctrl, point)| (ctrl.clone(), Path::new(point).join(rel)))
                .collect(),
        )
    }
}

impl Cgroup {
    /// The directory of v1 `controller` (v2: the one directory).
    pub(crate) fn dir(&self, controller: &str) -> Option<&Path> {
        match self {
            Cgroup::V1(dirs) => dirs.get(controller).map(PathBuf::as_path),
            Cgroup::V2(dir) => Some(dir),
        }
    }

    /// Every process in the cgroup and the cgroups below it (runc's `GetAllPids`), read from
    /// the `pids` hierarchy on v1 (else `memory`, `cpu`).
    pub(crate) fn pids(&self) -> std::io::Result<Vec<u32>> {
        let dir = ["pids", "memory", "cpu", "freezer"]
            .iter()
            .find_map(|c| self.dir(c))
            .ok_or_else(|| std::io::Error::other("no cgroup hierarchy to read processes from"))?;
        let mut pids = Vec::new();
        collect_pids(dir, &mut pids)?;
        Ok(pids)
    }
}

/// `dir/cgroup.procs` and those of its subdirectories.
fn collect_pids(dir: &Path, out: &mut Vec<u32>) -> std::io::Result<()> {
    let procs = std::fs::read_to_string(dir.join("cgroup.procs"))?;
    out.extend(procs.lines().filter_map(|l| l.trim().parse::<u32>().ok()));
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect_pids(&entry.path(), out)?;
        }
    }
    Ok(())
}

//! Which cgroup layout the host has and which controllers it offers.
//!
//! cgroup v2 is recognised by `/sys/fs/cgroup/cgroup.controllers`; v1 hierarchies by the `cgroup`
//! mounts in `/proc/self/mountinfo` (or, if that is unreadable, the directories under
//! `/sys/fs/cgroup`); "hybrid" is v1 with a `cgroup2` tree at `/sys/fs/cgroup/unified`, as systemd
//! mounts it on Debian hosts that keep v1.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::read::read;

/// Every cgroup v1 controller the kernel knows, in the order reports list them.
const V1_CONTROLLERS: [&str; 14] = [
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "devices",
    "freezer",
    "net_cls",
    "net_prio",
    "blkio",
    "perf_event",
    "hugetlb",
    "pids",
    "rdma",
    "misc",
];

/// Where systemd mounts the v2 tree on a hybrid host (a mount point in mountinfo, not a file).
const UNIFIED_MOUNT: &str = "/sys/fs/cgroup/unified";

/// The cgroup layout of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CgroupVersion {
    /// Only v1 hierarchies.
    V1,
    /// The unified v2 hierarchy at `/sys/fs/cgroup`.
    V2,
    /// v1 hierarchies plus a v2 tree at `/sys/fs/cgroup/unified` (controllers live in v1).
    Hybrid,
    /// No cgroup hierarchy found (for instance `/sys` remounted without them).
    Unknown,
}

impl CgroupVersion {
    /// The `CgroupVersion` value of Docker's `/info` (`"1"` or `"2"`; hybrid counts as `"1"`, as
    /// dockerd reports it); `None` when unknown.
    pub fn docker(self) -> Option<&'static str> {
        match self {
            Self::V1 | Self::Hybrid => Some("1"),
            Self::V2 => Some("2"),
            Self::Unknown => None,
        }
    }
}

/// The cgroup facts of the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cgroups {
    /// The layout.
    pub version: CgroupVersion,
    /// The controllers containers can use: the mounted v1 hierarchies (v1, hybrid) or the entries
    /// of the root `cgroup.controllers` (v2).
    pub controllers: Vec<String>,
}

impl Cgroups {
    /// The controllers `wharfd` relies on for resource limits that this host lacks.
    pub fn missing(&self) -> Vec<&'static str> {
        let wanted: &[&'static str] = match self.version {
            CgroupVersion::V2 => &["cpu", "memory", "pids"],
            // runc needs the devices hierarchy on v1 to confine device access.
            CgroupVersion::V1 | CgroupVersion::Hybrid => &["cpu", "memory", "pids", "devices"],
            CgroupVersion::Unknown => &[],
        };
        wanted
            .iter()
            .filter(|w| !self.controllers.iter().any(|c| c == *w))
            .copied()
            .collect()
    }
}

/// Detects the cgroup layout under `root`.
pub(crate) fn detect(root: &Path) -> Cgroups {
    if let Some(list) = read(root, "sys/fs/cgroup/cgroup.controllers") {
        return Cgroups {
            version: CgroupVersion::V2,
            controllers: list.split_whitespace().map(str::to_owned).collect(),
        };
    }
    let mounts = match read(root, "proc/self/mountinfo") {
        Some(text) => from_mountinfo(&text),
        None => from_dirs(root),
    };
    let version = match (mounts.v1, mounts.unified) {
        (true, true) => CgroupVersion::Hybrid,
        (true, false) => CgroupVersion::V1,
        (false, _) => CgroupVersion::Unknown,
    };
    let controllers = V1_CONTROLLERS
        .iter()
        .filter(|c| mounts.controllers.contains(**c))
        .map(|c| (*c).to_owned())
        .collect();
    Cgroups {
        version,
        controllers,
    }
}

/// What the mount table says about cgroups.
#[derive(Default)]
struct Mounts {
    /// A v1 hierarchy is mounted (even a named one without controllers).
    v1: bool,
    /// A v2 tree is mounted at [`UNIFIED_MOUNT`].
    unified: bool,
    /// The v1 controllers attached to some mounted hierarchy.
    controllers: BTreeSet<String>,
}

/// The `(mount point, fstype, super options)` of each line of `/proc/self/mountinfo`:
/// `id parent major:minor root mountpoint options [optional...] - fstype source superoptions`.
fn mountinfo_lines(text: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    text.lines().filter_map(|line| {
        let (head, tail) = line.split_once(" - ")?;
        let mount_point = head.split(' ').nth(4).unwrap_or_default();
        let mut tail = tail.split(' ');
        let fstype = tail.next().unwrap_or_default();
        let options = tail.nth(1).unwrap_or_default();
        Some((mount_point, fstype, options))
    })
}

/// The v1 controllers named in a `cgroup` mount's super options.
fn v1_controllers(options: &str) -> impl Iterator<Item = &str> {
    options.split(',').filter(|o| V1_CONTROLLERS.contains(o))
}

/// Reads cgroup mounts from `/proc/self/mountinfo`.
fn from_mountinfo(text: &str) -> Mounts {
    let mut mounts = Mounts::default();
    for (mount_point, fstype, options) in mountinfo_lines(text) {
        match fstype {
            "cgroup" => {
                mounts.v1 = true;
                mounts
                    .controllers
                    .extend(v1_controllers(options).map(str::to_owned));
            }
            "cgroup2" if mount_point == UNIFIED_MOUNT => mounts.unified = true,
            _ => {}
        }
    }
    mounts
}

/// Where each v1 controller is mounted (`memory` → `/sys/fs/cgroup/memory`), from
/// `/proc/self/mountinfo` or, without it, the directories under `/sys/fs/cgroup`; the first
/// mount of a controller wins, as runc's `FindCgroupMountpoint` takes it. `root` is `/` but
/// in tests; the daemon reads a container's cgroup files there (stats, top).
pub fn v1_mount_points(root: &Path) -> BTreeMap<String, String> {
    let mut points = BTreeMap::new();
    if let Some(text) = read(root, "proc/self/mountinfo") {
        for (mount_point, _, options) in mountinfo_lines(&text).filter(|l| l.1 == "cgroup") {
            for c in v1_controllers(options) {
                points
                    .entry(c.to_owned())
                    .or_insert_with(|| mount_point.to_owned());
            }
        }
        return points;
    }
    for c in from_dirs(root).controllers {
        let point = format!("/sys/fs/cgroup/{c}");
        points.insert(c, point);
    }
    points
}

/// Without a mount table, guesses from the directory names under `/sys/fs/cgroup` (`memory`,
/// `cpu,cpuacct`, `unified`): one small directory, no walk.
fn from_dirs(root: &Path) -> Mounts {
    let mut mounts = Mounts::default();
    let Ok(entries) = std::fs::read_dir(root.join("sys/fs/cgroup")) else {
        return mounts;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "unified" {
            mounts.unified = entry.path().join("cgroup.controllers").exists();
            continue;
        }
        for part in name.split(',') {
            if V1_CONTROLLERS.contains(&part) && entry.path().join("tasks").exists() {
                mounts.v1 = true;
                mounts.controllers.insert(part.to_owned());
            }
        }
    }
    mounts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_hybrid() {
        let text = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
        let mounts = from_mountinfo(text);
        assert!(mounts.v1 && mounts.unified);
        assert_eq!(
            mounts.controllers.into_iter().collect::<Vec<_>>(),
            ["cpu", "cpuacct"]
        );
    }

    #[test]
    fn missing_controllers() {
        let cgroups = Cgroups {
            version: CgroupVersion::V2,
            controllers: vec!["cpu".into(), "io".into()],
        };
        assert_eq!(cgroups.missing(), ["memory", "pids"]);
    }
}

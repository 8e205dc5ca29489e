//! Devices: the host's, which a privileged container gets all of (moby's `WithDevices` with
//! runc's `HostDevices`), those `--device` adds, and `--device-cgroup-rule`s.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    LinuxDevice, LinuxDeviceBuilder, LinuxDeviceCgroup, LinuxDeviceCgroupBuilder, LinuxDeviceType,
};

use super::build::oci;
use crate::error::{Error, Result};

/// One `--device HOST[:CONTAINER[:PERMISSIONS]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRequest {
    /// The device (or a directory of devices) on the host.
    pub host_path: PathBuf,
    /// Where it appears in the container (the host path when empty).
    pub container_path: PathBuf,
    /// Cgroup permissions, a subset of `rwm`.
    pub permissions: String,
}

/// The devices and cgroup rules `requests` ask for, as moby's `WithDevices`: a directory adds
/// every device below it, at the same place under the container path.
pub(super) fn requested(
    requests: &[DeviceRequest],
) -> Result<(Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>)> {
    let mut devices = Vec::new();
    let mut rules = Vec::new();
    for r in requests {
        check_permissions(&r.permissions)?;
        let shown = r.host_path.display();
        let meta = std::fs::metadata(&r.host_path).map_err(|e| {
            Error::InvalidParameter(format!(
                "error gathering device information while adding custom device \"{shown}\": {e}"
            ))
        })?;
        let target = match r.container_path.as_os_str().is_empty() {
            true => r.host_path.clone(),
            false => r.container_path.clone(),
        };
        let mut found = Vec::new();
        if meta.is_dir() {
            walk(&r.host_path, &mut found)?;
            for d in &mut found {
                let below = d.path().strip_prefix(&r.host_path).unwrap_or(d.path());
                d.set_path(target.join(below));
            }
        } else {
            let d = device(&r.host_path, &meta).ok_or_else(|| {
                Error::InvalidParameter(format!(
                    "error gathering device information while adding custom device \"{shown}\": not a device node"
                ))
            })??;
            found.push(with_path(d, &target));
        }
        for d in found {
            rules.push(rule(
                Some(d.typ()),
                Some(d.major()),
                Some(d.minor()),
                &r.permissions,
            )?);
            devices.push(d);
        }
    }
    Ok((devices, rules))
}

/// `--device-cgroup-rule`s (`c 1:3 rwm`, `a *:* m`) as cgroup rules, checked as moby's
/// `ValidateDeviceCgroupRule`.
pub(super) fn cgroup_rules(raw: &[String]) -> Result<Vec<LinuxDeviceCgroup>> {
    raw.iter()
        .map(|r| {
            let bad = || Error::InvalidParameter(format!("invalid device cgroup format '{r}'"));
            let mut parts = r.split(' ');
            let (Some(typ), Some(numbers), Some(access), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let typ = match typ {
                "a" => None,
                "c" => Some(LinuxDeviceType::C),
                "b" => Some(LinuxDeviceType::B),
                _ => return Err(bad()),
            };
            let (major, minor) = numbers.split_once(':').ok_or_else(bad)?;
            let number = |n: &str| -> Result<Option<i64>> {
                match n {
                    "*" => Ok(None),
                    n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                        n.parse().map(Some).map_err(|_| bad())
                    }
                    _ => Err(bad()),
                }
            };
            if access.is_empty() || access.len() > 3 || !access.bytes().all(|b| b"rwm".contains(&b))
            {
                return Err(bad());
            }
            rule(typ, number(major)?, number(minor)?, access)
        })
        .collect()
}

/// moby's `validDeviceMode`: one to three of `r`, `w`, `m`, each once.
fn check_permissions(mode: &str) -> Result<()> {
    let mut seen = [false; 3];
    let ok = !mode.is_empty()
        && mode.len() <= 3
        && mode
            .bytes()
            .all(|b| match b"rwm".iter().position(|&c| c == b) {
                Some(i) if !seen[i] => {
                    seen[i] = true;
                    true
                }
                _ => false,
            });
    match ok {
        true => Ok(()),
        false => Err(Error::InvalidParameter(format!(
            "invalid device mode: {mode}"
        ))),
    }
}

fn rule(
    typ: Option<LinuxDeviceType>,
    major: Option<i64>,
    minor: Option<i64>,
    access: &str,
) -> Result<LinuxDeviceCgroup> {
    let mut b = LinuxDeviceCgroupBuilder::default()
        .allow(true)
        .access(access);
    if let Some(t) = typ {
        b = b.typ(t);
    }
    if let Some(m) = major {
        b = b.major(m);
    }
    if let Some(m) = minor {
        b = b.minor(m);
    }
    b.build().map_err(oci)
}

fn with_path(mut d: LinuxDevice, path: &Path) -> LinuxDevice {
    d.set_path(path.to_path_buf());
    d
}

/// Directories of `/dev` that hold no device a container should get: its own mounts (`pts`,
/// `shm`, `mqueue`), links to the caller's descriptors (`fd`), and runtime bookkeeping.
const SKIPPED_DIRS: [&str; 7] = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];

/// Every character and block device under `/dev` (but `/dev/console`, which the runtime
/// sets up), with its numbers, mode and owner.
pub(super) fn host_devices() -> Result<Vec<LinuxDevice>> {
    let mut out = Vec::new();
    walk(Path::new("/dev"), &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<LinuxDevice>) -> Result<()> {
    // A directory that vanished or cannot be read holds nothing to add (as runc skips it).
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_dir() {
            let name = entry.file_name();
            if !SKIPPED_DIRS.iter().any(|s| name == *s) {
                walk(&path, out)?;
            }
            continue;
        }
        if path == Path::new("/dev/console") {
            continue;
        }
        if let Some(d) = device(&path, &meta) {
            out.push(d?);
        }
    }
    Ok(())
}

/// The device node at `path`, `None` if it is not one.
fn device(path: &Path, meta: &std::fs::Metadata) -> Option<Result<LinuxDevice>> {
    let ft = meta.file_type();
    let typ = match () {
        () if ft.is_char_device() => LinuxDeviceType::C,
        () if ft.is_block_device() => LinuxDeviceType::B,
        () => return None,
    };
    let rdev = meta.rdev();
    Some(
        LinuxDeviceBuilder::default()
            .path(path)
            .typ(typ)
            .major(nix::sys::stat::major(rdev) as i64)
            .minor(nix::sys::stat::minor(rdev) as i64)
            .file_mode(meta.mode() & 0o7777)
            .uid(meta.uid())
            .gid(meta.gid())
            .build()
            .map_err(oci),
    )
}

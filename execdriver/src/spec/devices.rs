//! The host's devices, which a privileged container gets all of (moby's `WithDevices` with
//! runc's `HostDevices`).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use oci_spec::runtime::{LinuxDevice, LinuxDeviceBuilder, LinuxDeviceType};

use super::build::oci;
use crate::error::Result;

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
        let ft = meta.file_type();
        if ft.is_dir() {
            let name = entry.file_name();
            if !SKIPPED_DIRS.iter().any(|s| name == *s) {
                walk(&path, out)?;
            }
            continue;
        }
        let typ = match () {
            () if ft.is_char_device() => LinuxDeviceType::C,
            () if ft.is_block_device() => LinuxDeviceType::B,
            () => continue,
        };
        if path == Path::new("/dev/console") {
            continue;
        }
        let rdev = meta.rdev();
        out.push(
            LinuxDeviceBuilder::default()
                .path(&path)
                .typ(typ)
                .major(nix::sys::stat::major(rdev) as i64)
                .minor(nix::sys::stat::minor(rdev) as i64)
                .file_mode(meta.mode() & 0o7777)
                .uid(meta.uid())
                .gid(meta.gid())
                .build()
                .map_err(oci)?,
        );
    }
    Ok(())
}

//! The block I/O cgroup of a container: `--blkio-weight`, `--blkio-weight-device` and the
//! per-device throttles, each device named by its host path and found by its numbers (moby's
//! `getBlkioWeightDevices` / `getBlkioThrottleDevices` stat the path at start).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use oci_spec::runtime::{
    LinuxBlockIo, LinuxBlockIoBuilder, LinuxThrottleDevice, LinuxThrottleDeviceBuilder,
    LinuxWeightDevice, LinuxWeightDeviceBuilder,
};

use super::Resources;
use super::build::oci;
use crate::error::{Error, Result};

/// The `blockIO` section, if any limit is set.
pub(super) fn block_io(r: &Resources) -> Result<Option<LinuxBlockIo>> {
    let [read_bps, write_bps, read_iops, write_iops] = &r.blkio_throttle;
    let any = r.blkio_weight.is_some()
        || !r.blkio_weight_device.is_empty()
        || r.blkio_throttle.iter().any(|l| !l.is_empty());
    if !any {
        return Ok(None);
    }
    let mut b = LinuxBlockIoBuilder::default();
    if let Some(weight) = r.blkio_weight {
        b = b.weight(weight);
    }
    if !r.blkio_weight_device.is_empty() {
        let devices = r
            .blkio_weight_device
            .iter()
            .map(|(path, weight)| {
                let (major, minor) = numbers(path)?;
                LinuxWeightDeviceBuilder::default()
                    .major(major)
                    .minor(minor)
                    .weight(*weight)
                    .build()
                    .map_err(oci)
            })
            .collect::<Result<Vec<LinuxWeightDevice>>>()?;
        b = b.weight_device(devices);
    }
    if !read_bps.is_empty() {
        b = b.throttle_read_bps_device(throttles(read_bps)?);
    }
    if !write_bps.is_empty() {
        b = b.throttle_write_bps_device(throttles(write_bps)?);
    }
    if !read_iops.is_empty() {
        b = b.throttle_read_iops_device(throttles(read_iops)?);
    }
    if !write_iops.is_empty() {
        b = b.throttle_write_iops_device(throttles(write_iops)?);
    }
    Ok(Some(b.build().map_err(oci)?))
}

fn throttles(list: &[(std::path::PathBuf, u64)]) -> Result<Vec<LinuxThrottleDevice>> {
    list.iter()
        .map(|(path, rate)| {
            let (major, minor) = numbers(path)?;
            LinuxThrottleDeviceBuilder::default()
                .major(major)
                .minor(minor)
                .rate(*rate)
                .build()
                .map_err(oci)
        })
        .collect()
}

/// The major and minor numbers of the block device at `path`.
fn numbers(path: &Path) -> Result<(i64, i64)> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::InvalidParameter(format!("stat {}: {e}", path.display())))?;
    if !meta.file_type().is_block_device() {
        return Err(Error::InvalidParameter(format!(
            "{} is not a block device",
            path.display()
        )));
    }
    let rdev = meta.rdev();
    let (major, minor) = (nix::sys::stat::major(rdev), nix::sys::stat::minor(rdev));
    Ok((
        i64::try_from(major).unwrap_or(0),
        i64::try_from(minor).unwrap_or(0),
    ))
}

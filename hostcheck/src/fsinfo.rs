//! The filesystem under the data root: its name as Docker's `Backing Filesystem` shows it and
//! whether it fills in `d_type`, without which overlay2 is unsafe. This probe reads the real
//! filesystem, not the probe root.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use nix::dir::Dir;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use serde::Serialize;

use crate::{Error, Result};

/// What [`fs_info`] found about a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FsInfo {
    /// The directory asked about.
    pub path: PathBuf,
    /// The directory actually probed: `path`, or its nearest existing ancestor.
    pub probed: PathBuf,
    /// The `statfs` magic number of the filesystem.
    pub magic: u32,
    /// The filesystem name as Docker spells it (`extfs`, `xfs`, `overlayfs`, or the magic in hex).
    pub backing_fs: String,
    /// Whether directory entries carry their file type (`d_type`), which overlay2 needs.
    pub d_type: bool,
}

/// Probes the filesystem holding `dir`, or its nearest existing ancestor if `dir` does not exist
/// yet. The `d_type` test creates an empty hidden file there and removes it at once.
pub fn fs_info(dir: &Path) -> Result<FsInfo> {
    let absolute = std::path::absolute(dir).map_err(|source| Error::Resolve {
        path: dir.to_owned(),
        source,
    })?;
    let probed = absolute
        .ancestors()
        .find(|p| p.is_dir())
        .ok_or_else(|| Error::NoDirectory {
            path: dir.to_owned(),
        })?
        .to_owned();
    let stat = nix::sys::statfs::statfs(&probed).map_err(|source| Error::Statfs {
        path: probed.clone(),
        source,
    })?;
    // `f_type` is a signed long on most targets; the magic numbers are 32-bit.
    let magic = stat.filesystem_type().0 as u64 as u32;
    let d_type = supports_d_type(&probed)?;
    Ok(FsInfo {
        path: dir.to_owned(),
        probed,
        magic,
        backing_fs: fs_name(magic),
        d_type,
    })
}

/// Docker's name for a filesystem magic (moby `daemon/graphdriver/driver_linux.go`).
fn fs_name(magic: u32) -> String {
    let name = match magic {
        0x6175_6673 => "aufs",
        0x9123_683e => "btrfs",
        0x28cd_3d45 => "cramfs",
        0xf15f => "ecryptfs",
        0xef53 => "extfs",
        0xf2f5_2010 => "f2fs",
        0x6573_5546 => "fuse",
        0x4750_4653 => "gpfs",
        0x72b6 => "jffs2",
        0x3153_464a => "jfs",
        0x6969 => "nfs",
        0x794c_7630 => "overlayfs",
        0x8584_58f6 => "ramfs",
        0x5265_4973 => "reiserfs",
        0x517b => "smb",
        0x7371_7368 => "squashfs",
        0x0102_1994 => "tmpfs",
        0xa501_fcf5 => "vxfs",
        0x5846_5342 => "xfs",
        0x2fc1_2fc1 => "zfs",
        other => return format!("{other:#x}"),
    };
    name.to_owned()
}

/// Removes the probe file when dropped, so an early return cannot leave it behind.
struct Remove<'a>(&'a Path);

impl Drop for Remove<'_> {
    fn drop(&mut self) {
        // Best effort: the file is empty and hidden, and a failure here must not fail the probe.
        let _ = std::fs::remove_file(self.0);
    }
}

/// Creates a file in `dir` and checks that `readdir` reports its type, as moby's
/// `fsutils.SupportsDType` does. (`.` and `..` prove nothing: xfs reports them as directories
/// even without `ftype`.)
fn supports_d_type(dir: &Path) -> Result<bool> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(".wharf-dtype-{}-{nanos}", std::process::id());
    let file = dir.join(&name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .map_err(|source| Error::ProbeFile {
            path: file.clone(),
            source,
        })?;
    let _remove = Remove(&file);
    let read_dir = |source| Error::ReadDir {
        path: dir.to_owned(),
        source,
    };
    let mut listing = Dir::open(
        dir,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(read_dir)?;
    let mut all_known = true;
    for entry in listing.iter() {
        let entry = entry.map_err(read_dir)?;
        let known = entry.file_type().is_some();
        if entry.file_name().to_bytes() == name.as_bytes() {
            return Ok(known);
        }
        all_known &= known;
    }
    // The file vanished between creating and listing; judge by the other entries.
    Ok(all_known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_a_tempdir_and_cleans_up() {
        let dir = tempfile::tempdir().expect("create tempdir");
        let info = fs_info(dir.path()).expect("probe tempdir");
        assert_eq!(info.probed, dir.path());
        assert!(!info.backing_fs.is_empty());
        // Every filesystem a test machine puts /tmp on (ext4, tmpfs, xfs with ftype, btrfs)
        // fills in d_type.
        assert!(info.d_type, "{info:?}");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list tempdir")
            .collect();
        assert!(left.is_empty(), "probe file left behind: {left:?}");
    }

    #[test]
    fn probes_nearest_existing_ancestor() {
        let dir = tempfile::tempdir().expect("create tempdir");
        let missing = dir.path().join("not/yet/created");
        let info = fs_info(&missing).expect("probe ancestor");
        assert_eq!(info.path, missing);
        assert_eq!(info.probed, dir.path());
        assert!(!missing.exists());
    }

    #[test]
    fn names_like_docker() {
        assert_eq!(fs_name(0xef53), "extfs");
        assert_eq!(fs_name(0x794c_7630), "overlayfs");
        assert_eq!(fs_name(0x1234), "0x1234");
    }
}

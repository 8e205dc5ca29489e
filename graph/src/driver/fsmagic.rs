//! Backing filesystem name and `d_type` support, as overlay2 reports them.

use std::fs;
use std::path::Path;

use nix::dir::Dir;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::sys::statfs::statfs;

/// Docker's name for the filesystem holding `path` (`extfs`, `xfs`, …).
pub(super) fn backing_fs(path: &Path) -> String {
    let Ok(st) = statfs(path) else {
        return "<unknown>".to_string();
    };
    match st.filesystem_type().0 as u64 {
        0xEF53 => "extfs",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x0102_1994 => "tmpfs",
        0x794C_7630 => "overlayfs",
        0x2FC1_2FC1 => "zfs",
        0x6969 => "nfs",
        0xF2F5_2010 => "f2fs",
        0x6165_6673 => "aufs",
        _ => "<unknown>",
    }
    .to_string()
}

/// True if directory listings under `path` report entry types (overlayfs needs `d_type`):
/// creates a probe file, reads the directory with `getdents` and removes the file.
pub(super) fn supports_d_type(path: &Path) -> bool {
    let probe = path.join(".d_type-probe");
    if fs::write(&probe, b"").is_err() {
        return false;
    }
    let found = Dir::open(path, OFlag::O_RDONLY | OFlag::O_DIRECTORY, Mode::empty())
        .map(|mut dir| {
            dir.iter()
                .filter_map(|e| e.ok())
                .find(|e| e.file_name().to_bytes() == b".d_type-probe")
                .is_some_and(|e| e.file_type().is_some())
        })
        .unwrap_or(false);
    let _ = fs::remove_file(&probe);
    found
}

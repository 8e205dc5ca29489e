//! `--mount type=volume,volume-subpath=DIR`: a directory inside a volume, mounted instead of the
//! volume's root. The volume is writable by containers, so the directory is found with
//! `openat2(RESOLVE_IN_ROOT)` (no link or `..` leads out of the volume) and that very directory
//! is bind-mounted from its file descriptor on `<container dir>/subpaths/N` (moby's safepath
//! does the same); runc binds the staged mount. The staged mounts go when the run is released.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::mount::MsFlags;

use super::mounts::Bind;
use crate::error::{Error, IoContext, Result};

/// Where a run's subpaths are staged.
fn staging_dir(dir: &Path) -> PathBuf {
    dir.join("subpaths")
}

/// Replaces the source of each bind with a subpath by its staged mount. Blocks.
pub(crate) fn stage(dir: &Path, binds: &mut [Bind]) -> Result<()> {
    for (n, b) in binds.iter_mut().enumerate() {
        if b.extra.subpath.is_empty() {
            continue;
        }
        let target = staging_dir(dir).join(n.to_string());
        std::fs::create_dir_all(&target).ctx("creating a volume subpath's mount point")?;
        super::rootfs::lazy_unmount(&target).ctx("clearing a volume subpath's mount point")?;
        let cannot = |e: &dyn std::fmt::Display| {
            Error::Invalid(format!(
                "cannot access volume subpath {:?} of volume {}: {e}",
                b.extra.subpath,
                b.volume.as_deref().unwrap_or_default()
            ))
        };
        let root = graph::tree::Root::open(Path::new(&b.source)).map_err(|e| cannot(&e))?;
        let fd = root
            .open_fd(&b.extra.subpath, OFlag::O_PATH)
            .map_err(|e| cannot(&e))?;
        let source = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        nix::mount::mount(
            Some(&source),
            &target,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .ctx("mounting a volume subpath")?;
        b.source = target.display().to_string();
    }
    Ok(())
}

/// Unmounts whatever a run staged. Blocks.
pub(crate) fn unstage(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(staging_dir(dir)) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if let Err(err) = super::rootfs::lazy_unmount(&path) {
            tracing::warn!(path = %path.display(), error = %err, "cannot unmount a volume subpath");
        }
        let _ = std::fs::remove_dir(&path);
    }
}

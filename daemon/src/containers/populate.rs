//! Copy-up: a volume mounted where the image has content gets that content when it is empty
//! (moby's `populateVolumes` / `CopyImagePathContent`), unless the mount says `nocopy`.
//! dockerd copies at create, with the container's root mounted for it; wharf copies at the
//! first start, when the root is mounted anyway.

use std::io::ErrorKind;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;

use super::{Record, mounts};
use crate::error::{Error, IoContext};
use crate::volumes::Volumes;

/// Fills each empty volume of `rec` from the image's directory at its mount point under
/// `rootfs` (the mounted root). Blocks.
pub(crate) fn populate(rec: &Record, rootfs: &Path, vols: &Volumes) -> Result<(), Error> {
    let mut binds = mounts::of_record(rec)?;
    mounts::resolve(&mut binds, vols);
    for b in binds.iter().filter(|b| b.volume.is_some() && b.copy_up) {
        let data = Path::new(&b.source);
        let empty = std::fs::read_dir(data)
            .with_ctx(|| format!("reading {}", data.display()))?
            .next()
            .is_none();
        if !empty {
            continue;
        }
        let Some(dir) = dir_in_root(rootfs, &b.destination)? else {
            continue;
        };
        // The directory is reached through its descriptor: nothing below is resolved again.
        let source = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
        graph::copy_tree(&source, data)?;
    }
    Ok(())
}

/// The directory at `path` inside `root`, resolved as if `root` were `/` (a link in the image
/// never leads out of it: `graph::tree::Root`, as `docker cp` resolves paths); `None` when
/// there is none there.
fn dir_in_root(root: &Path, path: &str) -> Result<Option<OwnedFd>, Error> {
    let tree = graph::tree::Root::open(root)?;
    match tree.open_fd(path, OFlag::O_DIRECTORY | OFlag::O_RDONLY) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(None),
        Err(e) => Err(e).with_ctx(|| format!("opening {path} in the container's root")),
    }
}

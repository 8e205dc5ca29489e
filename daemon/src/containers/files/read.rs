//! Small files of a container's root read by the daemon itself (the builder's
//! `COPY --chown=name` reads `/etc/passwd` and `/etc/group`): symlinks resolved inside the
//! root, no event (the user asked for nothing).

use std::io::Read;

use nix::fcntl::OFlag;

use super::Mounts;
use crate::containers::Containers;
use crate::error::{Error, Result};

impl Containers {
    /// The contents of each of `paths` (absolute, in the container's root without its
    /// volumes), or why it cannot be read.
    pub(crate) async fn read_root_files(
        &self,
        name: &str,
        paths: &[&str],
    ) -> Result<Vec<std::io::Result<Vec<u8>>>> {
        let c = self.get(name)?;
        let paths: Vec<String> = paths.iter().map(|p| (*p).to_owned()).collect();
        let rx = self.with_fs(c, Mounts::RootOnly, move |root, _| {
            Ok(paths
                .iter()
                .map(|p| {
                    let fd = root.open_fd(p, OFlag::O_RDONLY)?;
                    let mut data = Vec::new();
                    std::fs::File::from(fd).read_to_end(&mut data)?;
                    Ok(data)
                })
                .collect())
        });
        rx.await
            .map_err(|_| Error::System("the container fs work ended without an answer".into()))?
    }
}

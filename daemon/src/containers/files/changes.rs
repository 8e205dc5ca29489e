//! `docker diff`: what the container changed, from its writable layer (overlay2: the upper
//! directory over the image's layers; vfs: its tree against the image's).

use api::types::FilesystemChange;
use graph::tree::changes;

use crate::blocking::blocking;
use crate::containers::{Containers, rootfs};
use crate::error::Result;

impl Containers {
    /// `GET /containers/{id}/changes`.
    pub(crate) async fn changes(&self, name: &str) -> Result<Vec<FilesystemChange>> {
        let c = self.get(name)?;
        let rec = c.record();
        let dir = c.dir.clone();
        let list = blocking(move || {
            let lowers: Vec<&std::path::Path> =
                rec.layer_dirs.iter().map(|p| p.as_path()).collect();
            if rec.driver == "overlay2" {
                changes::overlay(&rootfs::upper(&dir), &lowers)
            } else {
                changes::compare(lowers.first().copied(), &rootfs::merged(&dir))
            }
        })
        .await??;
        Ok(list
            .into_iter()
            .map(|c| FilesystemChange {
                path: c.path,
                kind: c.kind as u8,
            })
            .collect())
    }
}

//! `SizeRw` and `SizeRootFs` (`docker ps -s`, `inspect -s`, `system df`), as moby's `getSize`:
//! what the container wrote, and that plus its image's layers.
//!
//! With overlay2 the writable layer is the upper directory, measured as it is. With vfs the
//! container's tree is a copy of the image's: what it wrote is what differs from the image's
//! top layer (moby's naive diff: new, or changed size, mode or modification time).

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use api::backend::ContainerListOptions;
use api::types::{ContainerInspect, ContainerSummary};

use super::{Container, Containers, rootfs};
use crate::blocking::blocking;
use crate::daemon::Daemon;
use crate::error::Result;
use crate::usage::dir_size;

impl Daemon {
    /// `GET /containers/json`: the list, with `SizeRw` and `SizeRootFs` when `opts.size`
    /// asks (also `system df`'s containers).
    pub(crate) async fn container_summaries(
        &self,
        opts: ContainerListOptions,
    ) -> Result<Vec<ContainerSummary>> {
        let size = opts.size;
        let mut list = self.containers.list(opts).await?;
        if !size || list.is_empty() {
            return Ok(list);
        }
        let images = self.image_sizes().await?;
        let c = self.containers.clone();
        blocking(move || {
            for s in &mut list {
                if let Ok(ctr) = c.get(&s.id) {
                    let image = images.get(&s.image_id).copied().unwrap_or(0);
                    let (rw, root) = c.sizes(&ctr, image);
                    (s.size_rw, s.size_root_fs) = (Some(rw), Some(root));
                }
            }
            list
        })
        .await
    }

    /// `GET /containers/{id}/json`, with `SizeRw` and `SizeRootFs` when `size` asks.
    pub(crate) async fn container_details(
        &self,
        term: &str,
        size: bool,
    ) -> Result<ContainerInspect> {
        let (c, term) = (self.containers.clone(), term.to_owned());
        let images = if size {
            Some(self.image_sizes().await?)
        } else {
            None
        };
        blocking(move || {
            let mut out = c.inspect(&term)?;
            if let Some(images) = images {
                let ctr = c.get(&out.id)?;
                let image = images.get(&out.image).copied().unwrap_or(0);
                let (rw, root) = c.sizes(&ctr, image);
                (out.size_rw, out.size_root_fs) = (Some(rw), Some(root));
            }
            Ok(out)
        })
        .await?
    }

    /// Each image's layers' bytes, by image ID.
    async fn image_sizes(&self) -> Result<HashMap<String, u64>> {
        self.images
            .blocking(|s| {
                Ok(s.list(false)?
                    .into_iter()
                    .map(|i| (i.id.to_string(), i.size))
                    .collect())
            })
            .await
    }
}

impl Containers {
    /// `(SizeRw, SizeRootFs)` of `c`, whose image's layers take `image_size` bytes. Blocks.
    pub(crate) fn sizes(&self, c: &Container, image_size: u64) -> (i64, i64) {
        let (driver, top) = {
            let l = c.live();
            (
                l.record.driver.clone(),
                l.record.layer_dirs.first().cloned(),
            )
        };
        let rw = if driver == "overlay2" {
            dir_size(&c.dir.join("rootfs").join("diff"))
        } else {
            changed_size(&rootfs::merged(&c.dir), top.as_deref())
        };
        let rw = i64::try_from(rw).unwrap_or(i64::MAX);
        let image = i64::try_from(image_size).unwrap_or(i64::MAX);
        (rw, rw.saturating_add(image))
    }
}

/// The bytes of the files under `tree` that are new or changed against the same path under
/// `base` (each inode once). Blocks.
fn changed_size(tree: &Path, base: Option<&Path>) -> u64 {
    let mut seen = HashSet::new();
    let mut total = 0;
    let mut pending = vec![std::path::PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(tree.join(&rel)) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            let rel = rel.join(e.file_name());
            if meta.is_dir() {
                pending.push(rel);
                continue;
            }
            let same = base
                .and_then(|b| std::fs::symlink_metadata(b.join(&rel)).ok())
                .is_some_and(|old| {
                    old.len() == meta.len()
                        && old.mode() == meta.mode()
                        && old.mtime() == meta.mtime()
                        && old.mtime_nsec() == meta.mtime_nsec()
                });
            if !same && meta.len() > 0 && seen.insert(meta.ino()) {
                total += meta.len();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_counts_only_what_changed() {
        let base = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(base.path().join("etc")).expect("dir");
        std::fs::write(base.path().join("etc/kept"), [1u8; 10]).expect("file");
        std::fs::write(base.path().join("etc/edited"), [1u8; 10]).expect("file");
        let copy = tempfile::tempdir().expect("tempdir");
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", base.path().display()))
            .arg(copy.path())
            .status()
            .expect("cp");
        assert!(status.success());
        assert_eq!(changed_size(copy.path(), Some(base.path())), 0);
        std::fs::write(copy.path().join("etc/edited"), [2u8; 30]).expect("edit");
        std::fs::write(copy.path().join("new"), [2u8; 7]).expect("new");
        assert_eq!(changed_size(copy.path(), Some(base.path())), 37);
        // Without a base, everything is new.
        assert_eq!(changed_size(copy.path(), None), 47);
    }
}

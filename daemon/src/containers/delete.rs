//! `DELETE /containers/{id}`, and the removal `--rm` does after an exit.

use std::sync::Arc;

use api::backend::DeleteOptions;
use api::types::ContainerStatus;

use super::record::RECORD_FILE;
use super::{Container, Containers, netns, rootfs};
use crate::blocking::blocking;
use crate::error::{Error, IoContext};

impl Containers {
    /// Removes the container `term` names; a running one only with `force` (killed first).
    pub(crate) async fn delete(self, term: String, opts: DeleteOptions) -> Result<(), Error> {
        let c = self.get(&term)?;
        let _op = c.op.lock().await;
        let (status, name, removed) = {
            let l = c.live();
            (l.record.state.status, l.record.name.clone(), l.removed)
        };
        if removed {
            return Err(Error::NoSuchContainer(term));
        }
        if matches!(
            status,
            ContainerStatus::Running | ContainerStatus::Restarting | ContainerStatus::Paused
        ) {
            if !opts.force {
                return Err(Error::CannotRemove {
                    name,
                    state: status,
                });
            }
            self.kill_for_removal(&c).await?;
        }
        match opts.remove_volumes {
            true => self.remove_with_volumes(&c).await,
            false => self.remove(&c).await,
        }
    }

    /// [`Containers::remove`], then its anonymous volumes that no other container mounts
    /// (`rm -v`, and `--rm`), as moby's `removeMountPoints`: one still in use stays, quietly.
    pub(crate) async fn remove_with_volumes(&self, c: &Arc<Container>) -> Result<(), Error> {
        let anonymous: Vec<String> = c
            .live()
            .record
            .anonymous_volumes
            .values()
            .cloned()
            .collect();
        self.remove(c).await?;
        if anonymous.is_empty() {
            return Ok(());
        }
        let _held = self.inner.volumes.hold_for_remove().await;
        let users = self.volume_users();
        for name in anonymous.into_iter().filter(|n| !users.contains_key(n)) {
            let vols = self.inner.volumes.clone();
            let owned = name.clone();
            match blocking(move || vols.remove(&owned)).await? {
                Ok(()) => {
                    let driver = [("driver", "local".to_owned())];
                    self.inner.events.volume(&name, "destroy", &driver);
                }
                Err(e) => {
                    tracing::warn!(container = %c.id, volume = %name, error = %e, "cannot remove an anonymous volume")
                }
            }
        }
        Ok(())
    }

    /// Removes a container that does not run: from the index, then its files (the record
    /// first, so a crash half-way leaves a directory restore recognises as garbage), then
    /// wakes `removed` waiters. Removing twice is harmless.
    pub(crate) async fn remove(&self, c: &Arc<Container>) -> Result<(), Error> {
        let (name, pending, run) = {
            let mut l = c.live();
            if l.removed {
                return Ok(());
            }
            l.removed = true;
            l.restart_gen += 1;
            (
                l.record.name.clone(),
                std::mem::take(&mut l.pending),
                l.run.take(),
            )
        };
        drop(pending);
        self.index().remove(&c.id, &name);
        if let Some(run) = run {
            self.release(&c.id, &c.dir, run).await;
        }
        let result = {
            // Holding the record's write lock orders removal after any save in flight (an exit
            // being recorded): a save that comes later sees `removed` and writes nothing.
            let _disk = c.disk.lock().await;
            self.remove_files(&c.id, &c.dir).await
        };
        if result.is_ok() {
            // moby's `cleanupContainer` tells it once everything is gone.
            self.event(c, "destroy", &[]);
        }
        c.publish();
        tracing::debug!(container = %c.id, "removed");
        result
    }

    /// Deletes everything of a container on disk and in runc: the record first (a crash
    /// half-way leaves a directory restore recognises as garbage), then the mounts, the network
    /// namespace and runc's state; the directory is renamed out of the way before it is
    /// deleted, so nothing can write into it under its own name while it goes.
    pub(crate) async fn remove_files(&self, id: &str, dir: &std::path::Path) -> Result<(), Error> {
        let dir = dir.to_path_buf();
        let netns = self.inner.netns_dir.join(id);
        let (runtime, id) = (self.inner.runtimes.holding(id), id.to_owned());
        blocking(move || {
            let removing = || format!("removing {}", dir.display());
            match std::fs::remove_file(dir.join(RECORD_FILE)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_ctx(removing);
                }
                _ => {}
            }
            rootfs::unmount(&dir).ctx("unmounting the root filesystem")?;
            netns::remove(&netns).ctx("removing the network namespace")?;
            if runtime.root.join(&id).exists() {
                execdriver::delete(&runtime, &id, true)?;
            }
            let doomed = dir.with_file_name(format!("{REMOVING_PREFIX}{id}"));
            match std::fs::rename(&dir, &doomed) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e).with_ctx(removing),
                Ok(()) => {}
            }
            delete_dir(&doomed);
            Ok(())
        })
        .await?
    }
}

/// The name prefix of a container directory being deleted (swept at start-up if a removal was
/// cut short).
pub(crate) const REMOVING_PREFIX: &str = ".removing-";

/// Deletes a container directory that is already out of the way; what cannot be deleted now
/// (a process of the container's still writing into it) is logged and swept at the next start.
/// Blocks.
pub(crate) fn delete_dir(doomed: &std::path::Path) {
    let mut tries = 0;
    loop {
        match std::fs::remove_dir_all(doomed) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) if tries < 3 => {
                tracing::debug!(path = %doomed.display(), error = %e, "retrying a removal");
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => {
                tracing::warn!(path = %doomed.display(), error = %e, "cannot delete a removed container's files yet; the next start will");
                return;
            }
        }
    }
}

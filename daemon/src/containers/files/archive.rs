//! `docker cp`: `HEAD`, `GET` and `PUT /containers/{id}/archive`, as dockerd's
//! `ContainerStatPath`, `ContainerArchivePath` and `ContainerExtractToDir`.

use api::backend::{ByteStream, ContainerPathStat, ExtractOptions};
use graph::tree::{ExtractOptions as TreeOptions, PathStat, container_path};
use tokio::sync::oneshot;

use super::{FsTarget, Mounts, finished, not_found_or};
use crate::containers::Containers;
use crate::error::{Error, Result};
use crate::images::bridge;

/// The wire form of a stat.
fn wire(s: PathStat) -> ContainerPathStat {
    ContainerPathStat {
        name: s.name,
        size: s.size,
        mode: s.mode,
        mtime: s.mtime,
        link_target: s.link_target,
    }
}

/// Any failure but a missing path is the daemon's (dockerd's `errdefs.System`).
fn system(e: graph::Error) -> Error {
    Error::System(e.to_string())
}

impl Containers {
    /// `HEAD /containers/{id}/archive?path=`.
    pub(crate) async fn stat_path(&self, name: &str, path: &str) -> Result<ContainerPathStat> {
        let c = self.get(name)?;
        let (p, n) = (path.to_owned(), name.to_owned());
        let abs = container_path(path);
        let rx = self.with_fs(c, Mounts::WithBinds, move |root, _| {
            root.stat(&abs).map_err(|e| not_found_or(e, &p, &n, system))
        });
        Ok(wire(finished(rx).await?))
    }

    /// `GET /containers/{id}/archive?path=`: the stat, then the tar as it is written.
    pub(crate) async fn archive_path(
        &self,
        name: &str,
        path: &str,
    ) -> Result<(ContainerPathStat, ByteStream)> {
        let c = self.get(name)?;
        let told = std::sync::Arc::clone(&c);
        let (p, n) = (path.to_owned(), name.to_owned());
        let abs = container_path(path);
        let (stat_tx, stat_rx) = oneshot::channel();
        let (mut out, stream) = bridge::byte_channel();
        let done = self.with_fs(c, Mounts::WithBinds, move |root, _| {
            let stat = match root.stat(&abs) {
                Ok(s) => s,
                Err(e) => {
                    let _ = stat_tx.send(Err(not_found_or(e, &p, &n, system)));
                    return Ok(());
                }
            };
            let _ = stat_tx.send(Ok(stat.clone()));
            match root.archive(&abs, &stat, &mut out) {
                Ok(()) => {
                    let _ = std::io::Write::flush(&mut out);
                }
                Err(e) => out.fail(std::io::Error::other(e.to_string())),
            }
            Ok(())
        });
        match stat_rx.await {
            Ok(stat) => {
                let stat = wire(stat?);
                // moby's `ContainerArchivePath` tells it once the path was found.
                self.event(&told, "archive-path", &[]);
                Ok((stat, stream))
            }
            // The work failed before it could stat (mounting, say): its error says why.
            Err(_) => Err(finished(done).await.err().unwrap_or_else(|| {
                Error::System("the container fs work ended without an answer".into())
            })),
        }
    }

    /// `PUT /containers/{id}/archive?path=`: extracts `body` into the directory `path`.
    pub(crate) async fn extract_to_dir(
        &self,
        name: &str,
        opts: ExtractOptions,
        body: ByteStream,
    ) -> Result<()> {
        let c = self.get(name)?;
        let told = std::sync::Arc::clone(&c);
        let n = name.to_owned();
        let mut input = bridge::reader(body);
        let rx = self.with_fs(c, Mounts::WithBinds, move |root, t| {
            let p = &opts.path;
            let missing = |e| not_found_or(e, p, &n, system);
            let dest = root.extract_dir(&container_path(p)).map_err(|e| match e {
                graph::Error::BadInput(m) => Error::Invalid(m),
                e => missing(e),
            })?;
            check_writable(t, &dest)?;
            let chown = match (opts.copy_uid_gid, t.record.config.user.as_str()) {
                (true, user) if !user.is_empty() => {
                    let merged = crate::containers::rootfs::merged(&t.dir);
                    let u = execdriver::resolve_user(&merged, user)?;
                    Some((u.uid, u.gid))
                }
                _ => None,
            };
            let tree_opts = TreeOptions {
                no_overwrite_dir_non_dir: opts.no_overwrite_dir_non_dir,
                chown,
            };
            root.extract(&dest, &mut input, &tree_opts).map_err(missing)
        });
        finished(rx).await?;
        self.event(&told, "extract-to-dir", &[]);
        Ok(())
    }
}

/// moby's `checkIfPathIsInAVolume` and the read-only root check: the destination may be in
/// a read-write volume or bind, or else in a root that is not read-only.
fn check_writable(t: &FsTarget, dest: &str) -> Result<()> {
    let inside = |mount: &str| {
        let m = mount.trim_end_matches('/');
        dest == m || dest.starts_with(&format!("{m}/")) || m.is_empty()
    };
    if let Some(b) = t.binds.iter().rev().find(|b| inside(&b.destination)) {
        if b.rw {
            return Ok(());
        }
        return Err(Error::Invalid("mounted volume is marked read-only".into()));
    }
    if t.record.host_config.readonly_rootfs {
        return Err(Error::Invalid(
            "container rootfs is marked read-only".into(),
        ));
    }
    Ok(())
}

//! `docker cp`, `docker export`, `docker diff` and `docker commit`: the container's files seen
//! from the daemon, running or not.
//!
//! dockerd's `openContainerFS` is the model: the work runs on a dedicated OS thread in a mount
//! namespace of its own (`unshare(CLONE_NEWNS)`), where a stopped overlay2 container's root
//! is mounted and the container's volumes and bind mounts are mounted where the container sees
//! them. Everything there is made private first: nothing leaks back to the host, and a run's
//! overlay that the exit handling unmounts meanwhile stays mounted here until the work is done
//! (dockerd's mount is reference-counted for the same reason). When the thread ends,
//! its namespace and all those mounts go with it: nothing is ever mounted in the host's
//! namespace, and a daemon killed meanwhile leaves nothing behind. Paths are resolved inside
//! the root by `graph::tree` (`openat2(RESOLVE_IN_ROOT)`), so no link leads out of it.
//!
//! The container's lifecycle lock is held while the thread works (dockerd holds the
//! container's lock), so it is not started, stopped or removed under a copy.

mod archive;
mod backend;
mod changes;
mod commit;
mod export;
mod read;

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use graph::tree::Root;
use nix::fcntl::OFlag;
use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use tokio::sync::oneshot;

use super::{Container, Containers, Record, mounts, rootfs};
use crate::error::{Error, Result};

/// What the thread mounts besides the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mounts {
    /// The root filesystem only (`docker export`).
    RootOnly,
    /// The container's volumes and binds too (`docker cp`).
    WithBinds,
}

/// What the thread is given about the container.
pub(crate) struct FsTarget {
    /// The record, as it was when the work started.
    pub(crate) record: Record,
    /// The container's directory.
    pub(crate) dir: PathBuf,
    /// The container's binds (sources resolved), parents first.
    pub(crate) binds: Vec<mounts::Bind>,
}

impl Containers {
    /// Runs `work` on the container's files (see the module doc) and returns its result. The
    /// lifecycle lock is held until `work` is done, also when the caller stops waiting.
    pub(crate) fn with_fs<T, F>(
        &self,
        c: Arc<Container>,
        which: Mounts,
        work: F,
    ) -> oneshot::Receiver<Result<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Root, &FsTarget) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let vols = self.inner.volumes.clone();
        tokio::spawn(async move {
            let _op = c.op.lock().await;
            let record = c.record();
            let binds = match which {
                Mounts::RootOnly => Vec::new(),
                // The record's own mounts: anonymous volumes by the names create gave them.
                Mounts::WithBinds => match mounts::of_record(&record) {
                    Ok(mut binds) => {
                        mounts::resolve(&mut binds, &vols);
                        binds.sort_by_key(|b| b.destination.matches('/').count());
                        binds
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                },
            };
            let target = FsTarget {
                record,
                dir: c.dir.clone(),
                binds,
            };
            let (done_tx, done_rx) = oneshot::channel();
            let spawned = std::thread::Builder::new()
                .name("wharf-container-fs".into())
                .spawn(move || {
                    let _ = done_tx.send(in_private_namespace(&target, work));
                });
            let result = match spawned {
                Ok(_) => done_rx.await.unwrap_or_else(|_| {
                    Err(Error::System("the container fs thread panicked".into()))
                }),
                Err(e) => Err(Error::Io {
                    context: "starting the container fs thread".into(),
                    source: e,
                }),
            };
            let _ = tx.send(result);
        });
        rx
    }
}

/// Awaits the result of [`Containers::with_fs`].
pub(crate) async fn finished<T>(rx: oneshot::Receiver<Result<T>>) -> Result<T> {
    rx.await
        .unwrap_or_else(|_| Err(Error::System("the container fs work was cut short".into())))
}

/// True if something is mounted on `path` (its device differs from its parent's): the
/// overlay of a run, seen in the thread's copy of the daemon's mounts. Asked rather than
/// read from the state, which says "running" a moment before the mount or after it is gone.
fn mounted(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), std::fs::metadata(path.join(".."))) {
        (Ok(p), Ok(parent)) => p.dev() != parent.dev(),
        _ => false,
    }
}

/// On the dedicated thread: a private mount namespace, the root, the binds, then `work`.
fn in_private_namespace<T>(
    t: &FsTarget,
    work: impl FnOnce(&Root, &FsTarget) -> Result<T>,
) -> Result<T> {
    let sys = |what: &str, e: nix::Error| Error::Io {
        context: what.to_owned(),
        source: e.into(),
    };
    nix::sched::unshare(CloneFlags::CLONE_NEWNS)
        .map_err(|e| sys("unsharing a mount namespace", e))?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| sys("making the mount namespace private", e))?;
    let rec = &t.record;
    let merged = rootfs::merged(&t.dir);
    if !mounted(&merged) {
        rootfs::mount(&rec.driver, &t.dir, &rec.layer_dirs).map_err(|e| Error::Io {
            context: format!("mounting the root filesystem of {}", rec.id),
            source: e,
        })?;
    }
    let root = Root::open(&merged)?;
    for b in &t.binds {
        bind(&root, Path::new(&b.source), &b.destination)?;
    }
    // The binds are below the root: open it again to see them.
    let root = if t.binds.is_empty() {
        root
    } else {
        Root::open(&merged)?
    };
    work(&root, t)
}

/// Bind-mounts `source` on `dest` inside the root. A missing mount point (a container that
/// never ran) is created first, as dockerd's `openContainerFS` does.
fn bind(root: &Root, source: &Path, dest: &str) -> Result<()> {
    let resolving = |e| Error::Io {
        context: format!("resolving the mount point {dest}"),
        source: e,
    };
    let fd = match root.open_fd(dest, OFlag::O_PATH) {
        Ok(fd) => fd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_mount_point(root, dest, source.is_dir())?;
            root.open_fd(dest, OFlag::O_PATH).map_err(resolving)?
        }
        Err(e) => return Err(resolving(e)),
    };
    // Mounting on the descriptor's magic link mounts on what was resolved inside the root,
    // whatever the path's links say by now.
    let target = format!("/proc/self/fd/{}", fd.as_raw_fd());
    nix::mount::mount(
        Some(source),
        target.as_str(),
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| Error::Io {
        context: format!("mounting {} on {dest}", source.display()),
        source: e.into(),
    })
}

/// Creates `dest` inside the root (a directory, or an empty file for a file's bind), its
/// missing parents as directories, each made relative to its resolved parent.
fn create_mount_point(root: &Root, dest: &str, dir: bool) -> Result<()> {
    let parts: Vec<&str> = dest.split('/').filter(|p| !p.is_empty()).collect();
    let mut at = String::new();
    for (i, name) in parts.iter().enumerate() {
        let parent = root
            .open_fd(
                if at.is_empty() { "/" } else { &at },
                OFlag::O_PATH | OFlag::O_DIRECTORY,
            )
            .map_err(|e| Error::Io {
                context: format!("creating the mount point {dest}"),
                source: e,
            })?;
        let last = i + 1 == parts.len();
        let made = if last && !dir {
            nix::fcntl::openat(
                &parent,
                *name,
                OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                nix::sys::stat::Mode::from_bits_truncate(0o644),
            )
            .map(drop)
        } else {
            nix::sys::stat::mkdirat(
                &parent,
                *name,
                nix::sys::stat::Mode::from_bits_truncate(0o755),
            )
        };
        match made {
            Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
            Err(e) => {
                return Err(Error::Io {
                    context: format!("creating the mount point {dest}"),
                    source: e.into(),
                });
            }
        }
        at = format!("{at}/{name}");
    }
    Ok(())
}

/// moby's `containerFileNotFound`, for a failure that is a missing path; else `other`.
pub(crate) fn not_found_or(
    e: graph::Error,
    path: &str,
    name: &str,
    other: impl FnOnce(graph::Error) -> Error,
) -> Error {
    match &e {
        graph::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            Error::NotFound(format!(
                "Could not find the file {path} in container {name}"
            ))
        }
        _ => other(e),
    }
}

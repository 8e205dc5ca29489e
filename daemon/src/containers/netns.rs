//! A container's network namespace: a fresh namespace bind-mounted on a file under
//! `<exec-root>/netns/`, as `ip netns add` makes them.
//!
//! `unshare(CLONE_NEWNET)` changes the namespace of the calling thread only, so it runs on a
//! dedicated short-lived OS thread (never a tokio worker, which would then serve other tasks
//! inside the container's namespace); the bind mount keeps the namespace alive after the
//! thread ends.

use std::io;
use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use nix::sched::CloneFlags;

/// Creates a network namespace and bind-mounts it on `path`.
pub(crate) async fn create(path: PathBuf) -> io::Result<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("wharf-netns-new".into())
        .spawn(move || {
            let _ = tx.send(create_here(&path));
        })?;
    rx.await
        .map_err(|_| io::Error::other("the network namespace thread panicked"))?
}

/// Runs on the dedicated thread: unshare, then bind-mount the thread's new namespace.
fn create_here(path: &Path) -> io::Result<()> {
    // The mount point: an empty file.
    std::fs::File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", path.display())))?;
    let result = nix::sched::unshare(CloneFlags::CLONE_NEWNET)
        .map_err(|e| io::Error::other(format!("unsharing a network namespace: {e}")))
        .and_then(|()| {
            nix::mount::mount(
                Some("/proc/thread-self/ns/net"),
                path,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(|e| {
                io::Error::other(format!(
                    "bind-mounting a network namespace on {}: {e}",
                    path.display()
                ))
            })
        });
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Unmounts (lazily) and removes a namespace file; a missing one is fine. The namespace itself
/// goes away with its last user.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    super::rootfs::lazy_unmount(path)?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io::Error::new(
            e.kind(),
            format!("removing {}: {e}", path.display()),
        )),
        _ => Ok(()),
    }
}

//! Running netlink work inside another network namespace.
//!
//! `setns` changes the namespace of the calling thread only, and a tokio worker must never end up
//! in a container's namespace (everything scheduled on it later would run there). So each job gets
//! a fresh OS thread that enters the namespace, opens its own netlink socket there, runs the job on
//! a current-thread runtime of its own, and ends. The caller awaits the result without blocking.

use std::fs::File;
use std::future::Future;

use nix::sched::CloneFlags;
use rtnetlink::Handle;

use crate::error::{Context, Error, Result};
use crate::netlink;

/// Runs `job` with a netlink handle opened inside the namespace `ns`, on a dedicated thread.
pub(crate) async fn in_netns<T, F, Fut>(ns: File, what: String, job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(Handle) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T>>,
{
    run_in_netns(ns, what, move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .context("building a runtime for a network namespace thread")?;
        rt.block_on(async move {
            let h = netlink::connect()?;
            job(h).await
        })
    })
    .await
}

/// Runs the blocking `job` on a dedicated thread inside the namespace `ns` (no netlink, no
/// runtime): for opening sockets there, which keep their namespace wherever they are used
/// afterwards.
pub(crate) async fn run_in_netns<T, F>(ns: File, what: String, job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let thread_what = what.clone();
    std::thread::Builder::new()
        .name("wharf-netns".into())
        .spawn(move || {
            let run = || -> Result<T> {
                nix::sched::setns(&ns, CloneFlags::CLONE_NEWNET)
                    .with_context(|| format!("entering the network namespace of {thread_what}"))?;
                job()
            };
            // The receiver only goes away if the caller stopped waiting; nothing to report then.
            let _ = tx.send(run());
        })
        .with_context(|| format!("starting a thread for {what}"))?;
    rx.await.map_err(|_| {
        Error::system(
            format!("configuring {what}"),
            std::io::Error::other("the network namespace thread panicked"),
        )
    })?
}

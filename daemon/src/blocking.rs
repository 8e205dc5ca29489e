//! Blocking work (files, mounts, runc) on tokio's blocking pool, never on the async side.

use crate::error::{Error, Result};

/// Runs `f` on the blocking pool and returns what it returned.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|source| Error::Task {
            what: "blocking task",
            source,
        })
}

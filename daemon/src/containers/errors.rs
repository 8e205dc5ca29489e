//! From the leaf crates' failures to API errors, and the blocking pool.

use api::{Error, ErrorKind};

/// An exec driver failure as the API reports it. A failed start is dockerd's
/// `translateContainerdStartErr`: a missing or non-executable command (127, 126) is the
/// request's fault (400), anything else is 500; the message is wrapped as dockerd wraps it.
pub(crate) fn exec(e: execdriver::Error) -> Error {
    match e {
        execdriver::Error::NotFound(m) => Error::not_found(m),
        execdriver::Error::Conflict(m) => Error::conflict(m),
        execdriver::Error::InvalidParameter(m) => Error::invalid(m),
        execdriver::Error::Start { exit_code, message } => {
            let kind = if exit_code == 126 || exit_code == 127 {
                ErrorKind::InvalidParameter
            } else {
                ErrorKind::System
            };
            Error::new(kind, execdriver::docker_start_message(&message))
        }
        other => Error::system(other.to_string()),
    }
}

/// A network driver failure as the API reports it.
pub(crate) fn net(e: netdriver::Error) -> Error {
    Error::new(net_kind(&e), e.to_string())
}

/// The class of a network driver failure.
pub(crate) fn net_kind(e: &netdriver::Error) -> ErrorKind {
    match e {
        netdriver::Error::NotFound(_) => ErrorKind::NotFound,
        netdriver::Error::Conflict(_) => ErrorKind::Conflict,
        netdriver::Error::InvalidParameter(_) => ErrorKind::InvalidParameter,
        netdriver::Error::Exhausted(_) => ErrorKind::Unavailable,
        netdriver::Error::System { .. } => ErrorKind::System,
    }
}

/// A host failure while doing `what`.
pub(crate) fn io(what: impl std::fmt::Display, e: impl std::fmt::Display) -> Error {
    Error::system(format!("{what}: {e}"))
}

/// Runs blocking work (files, mounts, runc) on tokio's blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::system(format!("blocking task failed: {e}")))
}

//! The one error type of the crate, with variants the daemon can classify into API statuses.

use std::fmt::Display;
use std::path::Path;

/// What went wrong in the exec driver.
///
/// [`Error::NotFound`], [`Error::Conflict`] and [`Error::InvalidParameter`] are states or input
/// the caller can see (404, 409 and 400 in the API). [`Error::Start`] is a container whose
/// process could not be started, with the exit code Docker records for it; [`Error::Runtime`] is
/// `runc` or the monitor failing; [`Error::Io`] is the host refusing a file or process operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A container (its state directory or its runc state) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The container is not in a state that allows the operation (already running, not running).
    #[error("{0}")]
    Conflict(String),
    /// A user, signal, path or limit in the request is invalid.
    #[error("{0}")]
    InvalidParameter(String),
    /// The container's process could not be started; Docker answers such a start with the
    /// message and records `exit_code` (127 not found, 126 not executable, 128 otherwise).
    #[error("{message}")]
    Start {
        /// The exit code to record for the container.
        exit_code: i32,
        /// The runtime's explanation, e.g. `runc create failed: unable to start container
        /// process: exec: "nosuchcmd": executable file not found in $PATH`.
        message: String,
    },
    /// `runc` or the monitor failed for another reason.
    #[error("{0}")]
    Runtime(String),
    /// A file, pipe, socket or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the thing involved.
        context: String,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O failure while doing `context`.
    pub(crate) fn io(context: impl Display, source: impl Into<std::io::Error>) -> Self {
        Error::Io {
            context: context.to_string(),
            source: source.into(),
        }
    }

    /// An I/O failure on `path` while doing `what` ("reading", "creating", ...).
    pub(crate) fn path(what: &str, path: &Path, source: impl Into<std::io::Error>) -> Self {
        Error::io(format!("{what} {}", path.display()), source)
    }
}

/// Adds context to I/O-like errors, turning them into [`Error::Io`].
pub(crate) trait Context<T> {
    /// Wraps the error with a description of what was being done.
    fn context(self, what: impl Display) -> Result<T>;
    /// Wraps the error with `what` and the path involved.
    fn on_path(self, what: &str, path: &Path) -> Result<T>;
}

impl<T, E> Context<T> for std::result::Result<T, E>
where
    E: Into<std::io::Error>,
{
    fn context(self, what: impl Display) -> Result<T> {
        self.map_err(|e| Error::io(what, e))
    }

    fn on_path(self, what: &str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::path(what, path, e))
    }
}

//! `daemon::Error`: every failure of the daemon's core, with its cause, and the one conversion
//! to [`api::Error`] that decides how a client sees it.
//!
//! Daemon code returns [`Error`]; `?` lifts a leaf crate's error (`graph`, `netdriver`,
//! `execdriver`, a signal name) into it unchanged, and a host failure keeps its `io::Error`
//! under a context naming what was being done ([`IoContext`]). The variants the daemon makes
//! itself carry the client's message (Docker's words where clients parse them). Only
//! `From<Error> for api::Error` classifies — as moby's `errdefs` classes and `httpstatus` table
//! do — so a kind is decided in one place, and the cause travels on as the `api::Error`'s
//! `source` for the log of a 5xx. The backend traits convert at their boundary.
//!
//! The `Display` of an [`Error`] is the message the client gets.

use std::fmt::Display;
use std::io;

use api::ErrorKind;
use api::types::ContainerStatus;

/// The daemon's result type.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in the daemon.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// No container has this ID, name or ID prefix (the term as the client gave it).
    #[error("No such container: {0}")]
    NoSuchContainer(String),
    /// The container (full ID) does not run.
    #[error("Container {0} is not running")]
    NotRunning(String),
    /// Removing a container in `state` (running, paused, restarting) without `force`; `name`
    /// with its leading `/`, as moby (API 1.44 and later) words it.
    #[error("cannot remove container \"{name}\": {}", removal_refused(.state))]
    CannotRemove {
        /// The container's name.
        name: String,
        /// Its state.
        state: ContainerStatus,
    },
    /// No volume has this name.
    #[error("get {0}: no such volume")]
    NoSuchVolume(String),
    /// No network has this name, ID or ID prefix.
    #[error("network {0} not found")]
    NoSuchNetwork(String),
    /// Something else the request names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The object is already in the requested state (the message is only logged).
    #[error("{0}")]
    NotModified(String),
    /// Something wharf does not do (yet).
    #[error("{0}")]
    NotImplemented(String),
    /// The daemon failed without a cause to show (a container that would not exit).
    #[error("{0}")]
    System(String),
    /// A file, directory, mount or namespace operation failed while doing `context`.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the thing involved.
        context: String,
        /// The failure.
        #[source]
        source: io::Error,
    },
    /// Work handed to another task panicked or was cancelled.
    #[error("{what} failed: {source}")]
    Task {
        /// Which task (`blocking task`, `container task`, `image task`).
        what: &'static str,
        /// Why it did not finish.
        #[source]
        source: tokio::task::JoinError,
    },
    /// The image store failed.
    #[error(transparent)]
    Image(#[from] graph::Error),
    /// The network driver failed.
    #[error(transparent)]
    Network(#[from] netdriver::Error),
    /// Publishing a port of the container's endpoint failed.
    #[error(
        "driver failed programming external connectivity on endpoint {name} ({endpoint}): {source}"
    )]
    Publish {
        /// The container's name, without its `/`.
        name: String,
        /// The endpoint's ID.
        endpoint: String,
        /// The network driver's failure.
        #[source]
        source: netdriver::Error,
    },
    /// The exec driver (runc, the monitor) failed.
    #[error("{}", exec_message(.0))]
    Exec(#[from] execdriver::Error),
    /// A signal name that is not moby's.
    #[error(transparent)]
    Signal(#[from] mobyport::signal::SignalError),
    /// A registry, or the way to it, failed (the message is dockerd's).
    #[error(transparent)]
    Registry(#[from] distribution::Error),
}

/// The one classification: every daemon failure's kind, as moby's `errdefs` + `httpstatus`.
impl From<Error> for api::Error {
    fn from(e: Error) -> api::Error {
        let kind = match &e {
            Error::NoSuchContainer(_)
            | Error::NoSuchVolume(_)
            | Error::NoSuchNetwork(_)
            | Error::NotFound(_) => ErrorKind::NotFound,
            Error::NotRunning(_) | Error::CannotRemove { .. } | Error::Conflict(_) => {
                ErrorKind::Conflict
            }
            Error::Invalid(_) | Error::Signal(_) => ErrorKind::InvalidParameter,
            Error::NotModified(_) => ErrorKind::NotModified,
            Error::NotImplemented(_) => ErrorKind::NotImplemented,
            Error::System(_) | Error::Io { .. } | Error::Task { .. } => ErrorKind::System,
            Error::Image(e) => match e.kind() {
                graph::ErrorKind::NotFound => ErrorKind::NotFound,
                graph::ErrorKind::InvalidInput => ErrorKind::InvalidParameter,
                graph::ErrorKind::Conflict => ErrorKind::Conflict,
                graph::ErrorKind::Unsupported => ErrorKind::NotImplemented,
                graph::ErrorKind::Internal => ErrorKind::System,
            },
            Error::Network(e) | Error::Publish { source: e, .. } => match e {
                netdriver::Error::NotFound(_) => ErrorKind::NotFound,
                netdriver::Error::Conflict(_) => ErrorKind::Conflict,
                netdriver::Error::InvalidParameter(_) => ErrorKind::InvalidParameter,
                netdriver::Error::Exhausted(_) => ErrorKind::Unavailable,
                netdriver::Error::Forbidden(_) => ErrorKind::Forbidden,
                netdriver::Error::System { .. } => ErrorKind::System,
            },
            Error::Registry(e) => match e.kind() {
                distribution::ErrorKind::InvalidParameter => ErrorKind::InvalidParameter,
                distribution::ErrorKind::NotFound => ErrorKind::NotFound,
                distribution::ErrorKind::Unauthorized => ErrorKind::Unauthorized,
                _ => ErrorKind::System,
            },
            Error::Exec(e) => match e {
                execdriver::Error::NotFound(_) => ErrorKind::NotFound,
                execdriver::Error::Conflict(_) => ErrorKind::Conflict,
                execdriver::Error::InvalidParameter(_) => ErrorKind::InvalidParameter,
                // dockerd's `translateContainerdStartErr`: a missing or non-executable command
                // is the request's fault.
                execdriver::Error::Start {
                    exit_code: 126 | 127,
                    ..
                } => ErrorKind::InvalidParameter,
                execdriver::Error::Start { .. }
                | execdriver::Error::Runtime(_)
                | execdriver::Error::Io { .. } => ErrorKind::System,
            },
        };
        api::Error::new(kind, e.to_string()).with_source(e)
    }
}

/// An exec driver failure as the client reads it: a failed start wrapped as dockerd wraps the
/// runtime's message, anything else as it is.
fn exec_message(e: &execdriver::Error) -> String {
    match e {
        execdriver::Error::Start { message, .. } => execdriver::docker_start_message(message),
        other => other.to_string(),
    }
}

/// Why a container in `state` cannot be removed without `force`.
fn removal_refused(state: &ContainerStatus) -> String {
    if *state == ContainerStatus::Paused {
        format!("container is {state} and must be unpaused first")
    } else {
        format!("container is {state}: stop the container before removing or force remove")
    }
}

/// Keeps an I/O-like failure as the cause of an [`Error::Io`] naming what was being done.
pub(crate) trait IoContext<T> {
    /// The failure, while doing `what`.
    fn ctx(self, what: impl Display) -> Result<T>;
    /// Like [`IoContext::ctx`], naming what was being done only on failure.
    fn with_ctx<D: Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Into<io::Error>> IoContext<T> for std::result::Result<T, E> {
    fn ctx(self, what: impl Display) -> Result<T> {
        self.with_ctx(|| what)
    }

    fn with_ctx<D: Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| Error::Io {
            context: what().to_string(),
            source: e.into(),
        })
    }
}

#[cfg(test)]
mod tests;

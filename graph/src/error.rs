//! The one error type of the image store.
//!
//! Every variant is a kind the daemon can map to an HTTP status without looking at the message:
//! see [`Error::kind`]. Messages that clients parse ("No such image: x") are Docker's word for word;
//! the others are lowercase and name the thing involved.

use std::io;
use std::path::Path;

/// Result alias for the image store.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors returned by the image store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No image matches a name, ID or ID prefix. The payload is the name as Docker prints it
    /// (`busybox:latest`, `sha256:…`).
    #[error("No such image: {0}")]
    NotFound(String),

    /// A reference given to `save` does not exist (Docker's wording for this case).
    #[error("reference does not exist")]
    ReferenceNotFound,

    /// A reference does not follow Docker's grammar; the payload is Docker's message, e.g.
    /// `invalid reference format`.
    #[error("{0}")]
    InvalidReference(String),

    /// An ID prefix matches more than one image.
    #[error("Multiple IDs found with provided prefix: {0}")]
    Ambiguous(String),

    /// The operation conflicts with the store's state (e.g. removing an image that is in use);
    /// the payload is Docker's message.
    #[error("{0}")]
    Conflict(String),

    /// An archive, layer tar, config or option is malformed or hostile.
    #[error("{0}")]
    BadInput(String),

    /// A layer's content does not hash to the diff ID its image config declares.
    #[error("invalid diffID for layer {index}: expected {expected:?}, got {actual:?}")]
    DiffIdMismatch {
        /// Position of the layer in the image's `rootfs.diff_ids`.
        index: usize,
        /// The diff ID from the config.
        expected: String,
        /// The digest of the tar that was received.
        actual: String,
    },

    /// The request is valid but this store cannot do it (e.g. an unknown storage driver).
    #[error("{0}")]
    Unsupported(String),

    /// A filesystem operation failed; `context` names the path or the step.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The metadata database failed or holds something unreadable.
    #[error("metadata store: {0}")]
    Store(String),
}

/// The broad class of an [`Error`], for mapping to HTTP statuses in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The thing asked for does not exist (404).
    NotFound,
    /// The caller's input is invalid (400).
    InvalidInput,
    /// The store's state forbids the operation (409).
    Conflict,
    /// Not implemented by this store (501).
    Unsupported,
    /// Anything else (500).
    Internal,
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound(_) | Error::ReferenceNotFound => ErrorKind::NotFound,
            Error::InvalidReference(_)
            | Error::Ambiguous(_)
            | Error::BadInput(_)
            | Error::DiffIdMismatch { .. } => ErrorKind::InvalidInput,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Io { .. } | Error::Store(_) => ErrorKind::Internal,
        }
    }

    /// An I/O error with a context string.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An I/O error about one path: "`what` `path`: source".
    pub(crate) fn at(what: &str, path: &Path, source: io::Error) -> Self {
        Error::Io {
            context: format!("{what} {}", path.display()),
            source,
        }
    }

    /// A malformed or hostile input.
    pub(crate) fn bad(msg: impl Into<String>) -> Self {
        Error::BadInput(msg.into())
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Store(e.to_string())
    }
}

/// Adds path context to `io::Result`s.
pub(crate) trait IoContext<T> {
    /// Wraps an I/O error as [`Error::Io`] naming `what` and `path`.
    fn at(self, what: &str, path: &Path) -> Result<T>;
    /// Wraps an I/O error as [`Error::Io`] with a free-form context.
    fn ctx(self, context: &str) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, what: &str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::at(what, path, e))
    }
    fn ctx(self, context: &str) -> Result<T> {
        self.map_err(|e| Error::io(context, e))
    }
}

impl<T> IoContext<T> for nix::Result<T> {
    fn at(self, what: &str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::at(what, path, io::Error::from(e)))
    }
    fn ctx(self, context: &str) -> Result<T> {
        self.map_err(|e| Error::io(context, io::Error::from(e)))
    }
}

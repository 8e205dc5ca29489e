//! The one error type of the crate, with variants the daemon can classify into API statuses.

use std::fmt::Display;

/// What went wrong in the network driver.
///
/// The first four variants are the caller's fault or a state the caller can see (they map to
/// 404, 409, 400 and 503 in the API); [`Error::System`] is the host refusing an operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A named thing (bridge, endpoint, network namespace) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request collides with something that exists (an address or port in use).
    #[error("{0}")]
    Conflict(String),
    /// A flag or argument is invalid or contradicts the host's configuration.
    #[error("{0}")]
    InvalidParameter(String),
    /// The request is refused by the network's rules (an overlapping pool, a network with
    /// endpoints): the API's 403.
    #[error("{0}")]
    Forbidden(String),
    /// A pool (subnets, addresses, ephemeral ports) has nothing left.
    #[error("{0}")]
    Exhausted(String),
    /// A system call, netlink request, `nft` run or state file operation failed.
    #[error("{context}: {source}")]
    System {
        /// What was being done, naming the thing involved.
        context: String,
        /// The underlying failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A system failure while doing `context`.
    pub(crate) fn system(
        context: impl Display,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Error::System {
            context: context.to_string(),
            source: source.into(),
        }
    }
}

/// Adds context to foreign errors, turning them into [`Error::System`].
pub(crate) trait Context<T> {
    /// Wraps the error with a description of what was being done.
    fn context(self, what: impl Display) -> Result<T>;
    /// Like [`Context::context`], computing the description only on failure.
    fn with_context<D: Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E> Context<T> for std::result::Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn context(self, what: impl Display) -> Result<T> {
        self.map_err(|e| Error::system(what, e))
    }

    fn with_context<D: Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| Error::system(what(), e))
    }
}

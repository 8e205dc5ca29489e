//! Errors as Docker clients see them: a status code and `{"message": "..."}`.
//!
//! [`ErrorKind`] mirrors moby's `errdefs` classes; [`ErrorKind::status`] is the only place that
//! decides which HTTP status a failure gets. An [`Error`] may carry its cause (`source`): the
//! client only ever gets the message, and a 5xx answer logs the whole `source()` chain, so what
//! went wrong on the host is in the log (crates.io's `util/errors.rs` keeps the same split).

use std::fmt;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The class of a failure, independent of HTTP (moby's `errdefs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The object is already in the requested state, e.g. starting a running container (304,
    /// without a body, as moby's `errdefs.NotModified`).
    NotModified,
    /// The request is malformed or names an invalid value (400).
    InvalidParameter,
    /// Credentials are missing or wrong, e.g. a registry refused a login (401).
    Unauthorized,
    /// The credentials do not allow it, e.g. a registry denied a push (403).
    Forbidden,
    /// The object does not exist (404).
    NotFound,
    /// The request conflicts with the current state, e.g. a name in use (409).
    Conflict,
    /// The operation is not implemented by this daemon (501).
    NotImplemented,
    /// The daemon cannot serve the request now, e.g. a pool is exhausted (503).
    Unavailable,
    /// Anything else: a bug or a failure of the host (500).
    System,
}

impl ErrorKind {
    /// The HTTP status for this kind: the one table from error kind to status.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::NotModified => StatusCode::NOT_MODIFIED,
            ErrorKind::InvalidParameter => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::System => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The cause an [`Error`] keeps for the log.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure to answer with, in Docker's shape.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What kind of failure this is; decides the status.
    pub kind: ErrorKind,
    /// The client-visible message (Docker's wording where clients parse it).
    pub message: String,
    /// What caused it, for the log only (never sent to the client).
    #[source]
    pub source: Option<Source>,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The same error, keeping `source` as its cause.
    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// A 400 with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, message)
    }

    /// A 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// A 409 with `message`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// A 304: the object is already in the requested state; `message` is only logged.
    pub fn not_modified(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotModified, message)
    }

    /// A 500 with `message`.
    pub fn system(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::System, message)
    }

    /// The causes below the message, outermost first, as one line for the log.
    pub fn causes(&self) -> Causes<'_> {
        Causes(self)
    }
}

/// [`Error::causes`]: each `source()` in turn, `: `-separated. A cause that only repeats the
/// text above it (an error that wraps another and shows its message) is skipped.
#[derive(Debug)]
pub struct Causes<'a>(&'a Error);

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut above = self.0.message.clone();
        let mut next = std::error::Error::source(self.0);
        let mut first = true;
        while let Some(cause) = next {
            let text = cause.to_string();
            if text != above {
                if !first {
                    f.write_str(": ")?;
                }
                f.write_str(&text)?;
                first = false;
            }
            above = text;
            next = cause.source();
        }
        Ok(())
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// The message shown to the user.
    pub message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        // The client gets the message; the log gets the chain of causes too. A host or daemon
        // failure is an error; an operation wharf does not do (501) or cannot do now (503) is
        // worth a warning.
        match self.kind {
            ErrorKind::System => {
                tracing::error!(status = status.as_u16(), message = %self.message, causes = %self.causes(), "request failed");
            }
            _ if status.is_server_error() => {
                tracing::warn!(status = status.as_u16(), message = %self.message, causes = %self.causes(), "request failed");
            }
            _ => {}
        }
        if self.kind == ErrorKind::NotModified {
            // A 304 may not carry a body (HTTP/1.1 and Go's server both drop it).
            return status.into_response();
        }
        (
            status,
            Json(ErrorBody {
                message: self.message,
            }),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{context}: {source}")]
    struct Wrapped {
        context: &'static str,
        source: std::io::Error,
    }

    #[test]
    fn the_client_gets_the_message_and_the_log_the_causes() {
        let io = std::io::Error::other("disk on fire");
        let wrapped = Wrapped {
            context: "writing /x",
            source: io,
        };
        let e = Error::system(wrapped.to_string()).with_source(wrapped);
        assert_eq!(e.to_string(), "writing /x: disk on fire");
        // The wrapper repeats the message: only the cause below it is new.
        assert_eq!(e.causes().to_string(), "disk on fire");
        assert_eq!(Error::invalid("bad").causes().to_string(), "");
        let resp = e.into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}

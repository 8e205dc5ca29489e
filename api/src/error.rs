//! Errors as Docker clients see them: a status code and `{"message": "..."}`.
//!
//! [`ErrorKind`] mirrors moby's `errdefs` classes; [`ErrorKind::status`] is the only place that
//! decides which HTTP status a failure gets.

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
    /// The object does not exist (404).
    NotFound,
    /// The request conflicts with the current state, e.g. a name in use (409).
    Conflict,
    /// The operation is not implemented by this daemon (501).
    NotImplemented,
    /// The daemon cannot serve the request now, e.g. while shutting down (503).
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
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::System => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A failure to answer with, in Docker's shape.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What kind of failure this is; decides the status.
    pub kind: ErrorKind,
    /// The client-visible message (Docker's wording where clients parse it).
    pub message: String,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
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
}

/// The JSON body of every error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// The message shown to the user.
    pub message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self.kind {
            ErrorKind::System => tracing::error!(message = %self.message, "request failed"),
            // A 304 may not carry a body (HTTP/1.1 and Go's server both drop it).
            ErrorKind::NotModified => return self.kind.status().into_response(),
            _ => {}
        }
        (
            self.kind.status(),
            Json(ErrorBody {
                message: self.message,
            }),
        )
            .into_response()
    }
}

//! The one error type of the crate. Only [`crate::fs_info`] can fail: every other probe turns a
//! missing or unreadable file into an "unknown" fact.

use std::path::PathBuf;

/// Why a filesystem probe of a directory failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The directory could not be made absolute (the working directory is gone).
    #[error("resolve {}: {source}", path.display())]
    Resolve {
        /// The directory asked about.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Neither the directory nor any of its ancestors exists.
    #[error("no existing directory at or above {}", path.display())]
    NoDirectory {
        /// The directory asked about.
        path: PathBuf,
    },
    /// `statfs(2)` failed on the directory.
    #[error("statfs {}: {source}", path.display())]
    Statfs {
        /// The directory probed.
        path: PathBuf,
        /// The underlying error.
        source: nix::Error,
    },
    /// The temporary file of the `d_type` probe could not be created.
    #[error("create d_type probe file {}: {source}", path.display())]
    ProbeFile {
        /// The file that could not be created.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The directory could not be listed.
    #[error("read directory {}: {source}", path.display())]
    ReadDir {
        /// The directory probed.
        path: PathBuf,
        /// The underlying error.
        source: nix::Error,
    },
}

/// A result whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The traits the router calls; the daemon implements them (moby's `router/*/backend.go`).

use std::future::Future;

use crate::Error;
use crate::types::{SystemInfo, SystemVersion};

/// Everything the API needs from the daemon.
pub trait Backend: SystemBackend + Send + Sync + 'static {}

impl<T> Backend for T where T: SystemBackend + Send + Sync + 'static {}

/// `/_ping`, `/version`, `/info`.
pub trait SystemBackend {
    /// The daemon's version and its components.
    fn version(&self) -> SystemVersion;

    /// The daemon's state and the host's facts, gathered now.
    fn info(&self) -> impl Future<Output = Result<SystemInfo, Error>> + Send;
}

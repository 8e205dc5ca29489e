//! The Docker Engine API (v1.47) over HTTP: the router, the wire types, version-prefix handling,
//! the one table from error kind to status, and the backend traits the router calls.
//!
//! The daemon implements the backend traits; this crate knows nothing of how (no sled, no
//! netlink, no image store). A request walks: socket → [`version`] layer → route → extractor →
//! handler → backend trait, and back.

pub mod backend;
mod encoding;
pub mod error;
pub mod extract;
pub mod filters;
mod hijack;
mod listener;
pub mod metrics;
mod respond;
mod routes;
mod serve;
pub mod signal;
pub mod stats;
mod stream;
pub mod types;
pub mod version;

pub use backend::Backend;
pub use error::{Error, ErrorKind};
pub use listener::{Conn, Listener};
pub use routes::router;
pub use serve::{ServeOptions, serve};

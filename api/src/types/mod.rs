//! Docker wire types, named after the definitions in the Engine API v1.47 spec.
//!
//! Every field carries its own `rename` (a blanket `rename_all` gets names such as `NCPU` and
//! `OSType` wrong); optional fields are skipped when absent.

mod container;
mod container_config;
mod container_files;
mod container_ops;
mod endpoint;
mod event;
mod exec;
mod host_config;
mod image;
mod mount;
mod network;
mod network_ops;
mod prune;
mod registry;
mod system;
mod volume;

#[cfg(test)]
mod spec_check;

pub use container::*;
pub use container_config::*;
pub use container_files::*;
pub use container_ops::*;
pub use endpoint::*;
pub use event::*;
pub use exec::*;
pub use host_config::*;
pub use image::*;
pub use mount::*;
pub use network::*;
pub use network_ops::*;
pub use prune::*;
pub use registry::*;
pub use system::*;
pub use volume::*;

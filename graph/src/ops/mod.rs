//! The image operations, one file each, as methods of [`crate::ImageStore`].

pub(crate) mod archive;
mod cache_from;
mod check;
mod children;
pub(crate) mod commit;
pub(crate) mod container_commit;
mod gotar;
mod history;
mod import;
mod inspect;
mod list;
mod load;
mod manifest;
pub(crate) mod platform;
pub(crate) mod progress;
mod pull;
mod push;
mod registry;
mod remove;
mod save;
mod tag;
pub(crate) mod types;
mod usage;

pub use pull::Pull;
pub use push::{PushLayer, PushPlan};

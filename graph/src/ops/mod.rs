//! The image operations, one file each, as methods of [`crate::ImageStore`].

mod archive;
mod changes;
mod check;
mod commit;
mod gotar;
mod history;
mod import;
mod inspect;
mod list;
mod load;
mod manifest;
pub(crate) mod platform;
mod progress;
mod remove;
mod save;
mod tag;
pub(crate) mod types;

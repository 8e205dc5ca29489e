//! `graph`: the image store of wharf, as a library.
//!
//! It stores images the way Docker does — content-addressed configs, layers shared by chain ID
//! and reference-counted, references normalised as `distribution/reference` does — and
//! implements the image operations the engine API needs: load, save, import, list, inspect,
//! history, tag and remove, the store's side of pull and push, and `docker commit`; and, in
//! [`tree`], a container's root seen from outside (`docker cp`, `export`, `diff`). It knows nothing of HTTP,
//! async runtimes or Docker's JSON wire types; it does own the on-disk formats (image configs,
//! manifests, layer tars).
//!
//! Architecture invariants:
//! - An image is visible only once all its layers are in place and its metadata is committed
//!   in one atomic batch, flushed before the call returns.
//! - Every tar entry stays inside its layer directory, and every path into a container's
//!   tree inside its root.
//! - A layer's tar can be re-created byte for byte (it hashes to its diff ID) from the layer's
//!   files and its tar-split record, without a second copy of the content.
//! - Opening the store costs O(interrupted operations), never O(images).
//!
//! Entry point: [`ImageStore::open`]. On-disk layout: see [`store`].

pub mod catalog;
pub mod compress;
pub mod config;
pub mod digest;
pub mod driver;
mod error;
mod gojson;
pub mod meta;
mod ops;
pub mod reference;
pub mod store;
pub mod tree;

mod apply;
mod fsutil;
mod hashpipe;
mod layers;
mod tarsplit;
mod tarstream;

pub use catalog::BlobSource;
pub use digest::{ChainId, DiffId, Digest, ImageId};
pub use driver::DriverKind;
pub use error::{Error, ErrorKind, Result};
pub use fsutil::copy_tree;
pub use gojson::unix as go_unix;
pub use meta::{MemStore, MetaStore, SledStore};
pub use ops::container_commit::{CommitOptions, WritableLayer};
pub use ops::platform::go_arch;
pub use ops::types::{
    ContainerState, HistoryEntry, ImageDetails, ImageSummary, ImageUsers, ImportOptions,
    LayerProgress, LoadProgress, Loaded, NoContainers, Pulled, Removed,
};
pub use ops::{Pull, PushLayer, PushPlan};
pub use reference::{AnyReference, Reference};
pub use store::{ImageStore, StoreOptions};

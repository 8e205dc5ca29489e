//! Prunes and disk usage: `POST /containers/prune`, `/images/prune`, `/volumes/prune`,
//! `/networks/prune`, `/build/prune` (`docker system prune` is the CLI calling them in turn)
//! and `GET /system/df`, as moby's `daemon/prune.go` and `SystemDiskUsage`.
//!
//! Each prune goes through the ordinary removal of its objects (so they tell their own
//! events and keep their rules: an image in use is kept) and ends with one `prune` event
//! whose `reclaimed` is the bytes freed. The per-object work lives beside the objects
//! (`containers/prune.rs`, `images/usage.rs`); this module reads the filters and puts them
//! together.

mod backend;
mod networks;
mod until;

pub(crate) use until::timestamp;
mod volumes;

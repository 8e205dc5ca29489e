//! The metadata database behind a small key-value trait.
//!
//! [`MetaStore`] is all the image store needs from a database: point reads, ordered prefix scans
//! (which give the prefix-ID index its cost of one seek, whatever the number of images) and an
//! atomic, durable commit of a batch of writes. [`SledStore`] is the real one; [`MemStore`] is
//! an in-memory fake for tests. The typed schema on top lives in [`crate::catalog`].

mod mem_store;
mod sled_store;

pub use mem_store::MemStore;
pub use sled_store::SledStore;

use crate::error::Result;

/// One write in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Sets `key` to `value`.
    Put(Vec<u8>, Vec<u8>),
    /// Removes `key` (no-op if absent).
    Delete(Vec<u8>),
}

/// A key-value pair from a scan.
pub type Entry = (Vec<u8>, Vec<u8>);

/// An ordered key-value store with atomic batches.
pub trait MetaStore: Send + Sync {
    /// Reads one key.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// All entries whose key starts with `prefix`, in key order. The iterator is lazy: taking
    /// two items costs one seek and two steps, independent of how many keys exist.
    fn scan_prefix<'a>(&'a self, prefix: &[u8]) -> Box<dyn Iterator<Item = Result<Entry>> + 'a>;

    /// Applies every op atomically (all or none are visible, also after a crash) and returns
    /// only once the batch would survive the process being killed.
    fn commit(&self, ops: Vec<Op>) -> Result<()>;
}

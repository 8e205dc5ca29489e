//! An in-memory [`MetaStore`] for tests and fakes.

use std::collections::BTreeMap;
use std::sync::RwLock;

use super::{Entry, MetaStore, Op};
use crate::error::{Error, Result};

/// A `BTreeMap` behind a lock; commits are atomic because they happen under one write lock.
#[derive(Default)]
pub struct MemStore {
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> MemStore {
        MemStore::default()
    }
}

fn poisoned() -> Error {
    Error::Store("in-memory store lock poisoned".to_string())
}

impl MetaStore for MemStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.read().map_err(|_| poisoned())?.get(key).cloned())
    }

    fn scan_prefix<'a>(&'a self, prefix: &[u8]) -> Box<dyn Iterator<Item = Result<Entry>> + 'a> {
        let map = match self.map.read() {
            Ok(m) => m,
            Err(_) => return Box::new(std::iter::once(Err(poisoned()))),
        };
        // Copying the matching range keeps the fake simple; it is only used with small data.
        let items: Vec<Result<Entry>> = map
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| Ok((k.clone(), v.clone())))
            .collect();
        Box::new(items.into_iter())
    }

    fn commit(&self, ops: Vec<Op>) -> Result<()> {
        let mut map = self.map.write().map_err(|_| poisoned())?;
        for op in ops {
            match op {
                Op::Put(k, v) => {
                    map.insert(k, v);
                }
                Op::Delete(k) => {
                    map.remove(&k);
                }
            }
        }
        Ok(())
    }
}

//! [`MetaStore`] on sled: one tree, atomic `apply_batch`, `flush` before returning.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Entry, MetaStore, Op};
use crate::error::{Error, Result};

/// The sled-backed metadata store.
pub struct SledStore {
    db: sled::Db,
}

impl SledStore {
    /// Opens (or creates) the database in directory `path`.
    ///
    /// sled releases its file lock from a background thread after the last handle is
    /// dropped, so reopening in the same process can briefly find it held: that case is
    /// retried for up to two seconds.
    pub fn open(path: &Path) -> Result<SledStore> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let res = sled::Config::new()
                .path(path)
                .mode(sled::Mode::LowSpace)
                .cache_capacity(32 << 20)
                .open();
            match res {
                Ok(db) => return Ok(SledStore { db }),
                Err(sled::Error::Io(e))
                    if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(Error::Store(format!("open {}: {e}", path.display()))),
            }
        }
    }
}

impl MetaStore for SledStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get(key)?.map(|v| v.to_vec()))
    }

    fn scan_prefix<'a>(&'a self, prefix: &[u8]) -> Box<dyn Iterator<Item = Result<Entry>> + 'a> {
        Box::new(self.db.scan_prefix(prefix).map(|r| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(Error::from)
        }))
    }

    fn commit(&self, ops: Vec<Op>) -> Result<()> {
        let mut batch = sled::Batch::default();
        for op in ops {
            match op {
                Op::Put(k, v) => batch.insert(k, v),
                Op::Delete(k) => batch.remove(k),
            }
        }
        self.db.apply_batch(batch)?;
        // sled buffers writes; an answered request must survive a SIGKILL right after.
        self.db.flush()?;
        Ok(())
    }
}

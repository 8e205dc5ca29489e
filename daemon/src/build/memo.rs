//! The checksum memo (issue 15's "beyond dockerd"): what identifies a file of a build context
//! in the tar the client sends, mapped to its content's SHA-256, kept in a sled database of its
//! own (`<data root>/build-cache`).
//!
//! The tar carries no inode: the key is the tar-side equivalent of mtime+size+inode, the
//! header's path, type, mode, owner, size, modification time (the PAX time when sent) and link
//! target. A header alone is not trusted (the CLI truncates times to the second, so an edit
//! that keeps the size within the same second gives the same header): the record also holds
//! the CRC-32 of the content, computed while the bytes stream in anyway, and the memo's digest
//! is used only when it matches (see ARCHITECTURE.md, "The build cache").
//!
//! Layout (one tree): `k/<key>` → `seq (8, big endian) | crc (4) | sha256 (32) | recorded at
//! (Unix seconds, 8)`, `o/<seq>` →
//! `<key>` (insertion order, for eviction), `n` → the next seq, `c` → the number of records.
//! Every change is one atomic, flushed batch, so a SIGKILL leaves the memo as it was before or
//! after a build's records, never between.

use std::path::Path;
use std::sync::Mutex;

use graph::meta::Op;
use graph::{MetaStore, SledStore};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The records kept at most; the oldest inserted go first beyond it.
pub(crate) const DEFAULT_LIMIT: u64 = 200_000;

/// What the memo remembers of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recorded {
    /// CRC-32 of the content (the check made before the digest is trusted).
    pub(crate) crc: u32,
    /// SHA-256 of the content.
    pub(crate) digest: [u8; 32],
}

/// The memo database.
pub(crate) struct Memo {
    store: SledStore,
    limit: u64,
    /// Serialises the read-modify-write of the counters.
    write: Mutex<()>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("limit", &self.limit).finish()
    }
}

fn store_err(e: graph::Error) -> Error {
    Error::Invalid(format!("build cache memo: {e}"))
}

fn be(v: &[u8]) -> u64 {
    v.get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

fn key_of(key: &[u8]) -> Vec<u8> {
    [b"k/".as_slice(), key].concat()
}

fn order_of(seq: u64) -> Vec<u8> {
    [b"o/".as_slice(), &seq.to_be_bytes()].concat()
}

/// A record's value: its seq and what is remembered.
fn decode(v: &[u8]) -> Option<(u64, Recorded)> {
    if v.len() != 52 {
        return None;
    }
    let crc = u32::from_be_bytes(v[8..12].try_into().ok()?);
    let digest = v[12..44].try_into().ok()?;
    Some((be(v), Recorded { crc, digest }))
}

impl Memo {
    /// Opens (or creates) the memo in directory `dir`, keeping at most `limit` records.
    pub(crate) fn open(dir: &Path, limit: u64) -> Result<Memo> {
        Ok(Memo {
            store: SledStore::open(dir).map_err(store_err)?,
            limit,
            write: Mutex::new(()),
        })
    }

    /// What is remembered under `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Recorded>> {
        let v = self.store.get(&key_of(key)).map_err(store_err)?;
        Ok(v.as_deref().and_then(decode).map(|(_, r)| r))
    }

    fn counter(&self, name: &[u8]) -> Result<u64> {
        Ok(self
            .store
            .get(name)
            .map_err(store_err)?
            .map_or(0, |v| be(&v)))
    }

    /// Records `new` in one atomic batch, evicting the oldest records beyond the limit.
    pub(crate) fn record(&self, new: &[(Vec<u8>, Recorded)]) -> Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        let _guard = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let (mut next, mut count) = (self.counter(b"n")?, self.counter(b"c")?);
        let now = unix_now();
        let mut ops = Vec::new();
        let mut fresh = std::collections::HashSet::new();
        for (key, r) in new {
            let k = key_of(key);
            match self
                .store
                .get(&k)
                .map_err(store_err)?
                .as_deref()
                .and_then(decode)
            {
                Some((old, _)) => ops.push(Op::Delete(order_of(old))),
                None if fresh.insert(k.clone()) => count += 1,
                None => {}
            }
            let mut v = next.to_be_bytes().to_vec();
            v.extend_from_slice(&r.crc.to_be_bytes());
            v.extend_from_slice(&r.digest);
            v.extend_from_slice(&now.to_be_bytes());
            ops.push(Op::Put(order_of(next), key.clone()));
            ops.push(Op::Put(k, v));
            next += 1;
        }
        if count > self.limit {
            let excess = count - self.limit;
            for entry in self.store.scan_prefix(b"o/").take(excess as usize) {
                let (o, key) = entry.map_err(store_err)?;
                ops.push(Op::Delete(o.clone()));
                let k = key_of(&key);
                let current = self.store.get(&k).map_err(store_err)?;
                if current.as_deref().and_then(decode).map(|(s, _)| s) == Some(be(&o[2..])) {
                    ops.push(Op::Delete(k));
                }
                count -= 1;
            }
        }
        ops.push(Op::Put(b"n".to_vec(), next.to_be_bytes().to_vec()));
        ops.push(Op::Put(b"c".to_vec(), count.to_be_bytes().to_vec()));
        self.store.commit(ops).map_err(store_err)
    }

    /// Removes, in one batch, the records `doomed` selects (given a record's ID and when it
    /// was recorded, in Unix seconds) — with `keep` (buildkit's `keep-storage`), only the
    /// oldest of them, until all the records hold at most `keep` bytes: the IDs removed and
    /// the bytes they held.
    pub(crate) fn remove(
        &self,
        doomed: impl Fn(&str, u64) -> bool,
        keep: Option<u64>,
    ) -> Result<(Vec<String>, u64)> {
        let _guard = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let (mut total, mut selected) = (0u64, Vec::new());
        for entry in self.store.scan_prefix(b"k/") {
            let (k, v) = entry.map_err(store_err)?;
            // The record, and its place in the insertion order.
            let size = (2 * k.len() + v.len() + 8) as u64;
            total += size;
            let id = record_id(&k[2..]);
            if doomed(&id, be(v.get(44..).unwrap_or_default())) {
                selected.push((be(&v), k, id, size));
            }
        }
        // Oldest inserted first, so that `keep` spares the newest.
        selected.sort_by_key(|(seq, ..)| *seq);
        let (mut ids, mut bytes, mut ops) = (Vec::new(), 0u64, Vec::new());
        for (seq, k, id, size) in selected {
            if keep.is_some_and(|keep| total - bytes <= keep) {
                break;
            }
            bytes += size;
            ops.push(Op::Delete(order_of(seq)));
            ops.push(Op::Delete(k));
            ids.push(id);
        }
        if !ops.is_empty() {
            let count = self.counter(b"c")?.saturating_sub(ids.len() as u64);
            ops.push(Op::Put(b"c".to_vec(), count.to_be_bytes().to_vec()));
            self.store.commit(ops).map_err(store_err)?;
        }
        Ok((ids, bytes))
    }

    /// The number of records.
    #[cfg(test)]
    pub(crate) fn len(&self) -> Result<u64> {
        self.counter(b"c")
    }
}

/// Now, in Unix seconds.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A record's ID as `builder prune` lists it: the start of its key's SHA-256.
fn record_id(key: &[u8]) -> String {
    hex::encode(Sha256::digest(key))[..25].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u8) -> Recorded {
        Recorded {
            crc: u32::from(n),
            digest: [n; 32],
        }
    }

    #[test]
    fn records_are_found_replaced_evicted_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), 3).unwrap();
        memo.record(&[(b"a".to_vec(), rec(1)), (b"b".to_vec(), rec(2))])
            .unwrap();
        assert_eq!(memo.get(b"a").unwrap(), Some(rec(1)));
        memo.record(&[(b"a".to_vec(), rec(3))]).unwrap();
        assert_eq!(memo.get(b"a").unwrap(), Some(rec(3)));
        assert_eq!(memo.len().unwrap(), 2);
        // Two more: the oldest (b; a was rewritten after it) goes.
        memo.record(&[(b"c".to_vec(), rec(4)), (b"d".to_vec(), rec(5))])
            .unwrap();
        assert_eq!(memo.len().unwrap(), 3);
        assert_eq!(memo.get(b"b").unwrap(), None);
        assert_eq!(memo.get(b"a").unwrap(), Some(rec(3)));
        // Recorded later than any `until`: nothing removed.
        let (ids, _) = memo.remove(|_, t| t < unix_now() - 3600, None).unwrap();
        assert!(ids.is_empty());
        let (ids, bytes) = memo.remove(|_, _| true, None).unwrap();
        assert_eq!(ids.len(), 3);
        assert!(bytes > 0);
        assert_eq!(memo.get(b"c").unwrap(), None);
        assert_eq!(memo.len().unwrap(), 0);
    }

    #[test]
    fn keep_storage_spares_the_newest_records() {
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), 10).unwrap();
        for n in 1..=4u8 {
            memo.record(&[(vec![b'k', n], rec(n))]).unwrap();
        }
        // Every record holds 68 bytes (its 4-byte key twice, the value, the order entry's seq):
        // keeping two records' bytes removes the two oldest.
        let (_, all) = memo.remove(|_, _| false, None).unwrap();
        assert_eq!(all, 0);
        let (ids, bytes) = memo.remove(|_, _| true, Some(2 * 68)).unwrap();
        assert_eq!(ids.len(), 2, "{bytes}");
        assert_eq!(memo.get(b"k\x01").unwrap(), None);
        assert_eq!(memo.get(b"k\x02").unwrap(), None);
        assert_eq!(memo.get(b"k\x04").unwrap(), Some(rec(4)));
        // Already within the bound: nothing.
        let (ids, _) = memo.remove(|_, _| true, Some(1 << 20)).unwrap();
        assert!(ids.is_empty());
        assert_eq!(memo.len().unwrap(), 2);
    }
}

//! Distribution metadata: which registry blobs hold which layer, as dockerd's
//! `distribution/metadata` keeps it (`diffid-by-digest` and `v2metadata-by-diffid`).
//!
//! A pull records, for every layer of the image (fetched or already there), the blob digest it
//! came as and the repository it came from; a push records the blob it uploaded. The push side
//! reads them back to skip uploads (the registry already has the blob) or to mount the blob
//! from another repository of the same registry; a pull can tell a layer from its blob digest
//! before it has the config.
//!
//! Like dockerd's, the entries are a cache that outlives the layers: removing an image keeps
//! them (a stale entry costs one failed HEAD or mount, after which the push forgets it). Per
//! diff ID at most [`MAX_SOURCES`] are kept, newest last, each (digest, repository) once.
//! dockerd also stores an HMAC of the credentials each entry was seen with; wharf stores
//! nothing derived from credentials.

use serde::{Deserialize, Serialize};

use super::{Catalog, DIST_BLOB, DIST_DIFF, Txn, decode, digest_of, key, utf8};
use crate::digest::{DiffId, Digest};
use crate::error::{Error, Result};
use crate::meta::Op;
use crate::reference::Reference;

/// Entries kept per diff ID, as dockerd's `maxMetadata`.
pub const MAX_SOURCES: usize = 50;

/// A registry blob that holds a layer: its digest and the repository it was seen in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobSource {
    /// The digest of the blob as the registry stores it (usually compressed).
    #[serde(rename = "Digest")]
    pub digest: Digest,
    /// The repository, fully qualified (`docker.io/library/busybox`).
    #[serde(rename = "SourceRepository")]
    pub repository: String,
}

impl BlobSource {
    /// The blob `digest` in the repository of `repo` (its tag or digest is ignored).
    pub fn new(digest: Digest, repo: &Reference) -> BlobSource {
        BlobSource {
            digest,
            repository: repo.name(),
        }
    }
}

impl Catalog {
    /// The diff ID of the layer a blob holds, if a pull or push recorded it.
    pub fn diff_id_for_blob(&self, blob: &Digest) -> Result<Option<DiffId>> {
        match self.kv().get(&key(DIST_BLOB, blob.hex()))? {
            Some(v) => Ok(Some(digest_of(utf8(&v)?)?)),
            None => Ok(None),
        }
    }

    /// The blobs known to hold the layer `diff_id`, oldest first.
    pub fn blob_sources(&self, diff_id: &DiffId) -> Result<Vec<BlobSource>> {
        match self.kv().get(&key(DIST_DIFF, diff_id.hex()))? {
            Some(v) => decode("distribution metadata", &v),
            None => Ok(Vec::new()),
        }
    }
}

fn json(list: &[BlobSource]) -> Result<Vec<u8>> {
    serde_json::to_vec(list).map_err(|e| Error::Store(format!("encode record: {e}")))
}

impl Txn {
    /// Records that each blob holds its layer (moved to the end when already known), in
    /// this batch. The lists are read from the catalog, so the caller must hold the store's
    /// write lock until the batch is committed.
    pub fn add_blob_sources(&mut self, sources: &[(DiffId, BlobSource)]) -> Result<()> {
        // One read and one write per diff ID: two entries for the same diff ID in one batch
        // must not overwrite each other.
        let mut lists: Vec<(DiffId, Vec<BlobSource>)> = Vec::new();
        for (diff_id, source) in sources {
            let pos = match lists.iter().position(|(d, _)| d == diff_id) {
                Some(p) => p,
                None => {
                    let current = self.catalog().blob_sources(diff_id)?;
                    lists.push((diff_id.clone(), current));
                    lists.len() - 1
                }
            };
            let list = &mut lists[pos].1;
            list.retain(|s| s != source);
            list.push(source.clone());
            if list.len() > MAX_SOURCES {
                list.drain(..list.len() - MAX_SOURCES);
            }
            self.push(Op::Put(
                key(DIST_BLOB, source.digest.hex()),
                diff_id.hex().as_bytes().to_vec(),
            ));
        }
        for (diff_id, list) in &lists {
            self.push(Op::Put(key(DIST_DIFF, diff_id.hex()), json(list)?));
        }
        Ok(())
    }

    /// Forgets one source of the layer its blob holds (dockerd does after a failed mount),
    /// in this batch. Same locking rule as [`Txn::add_blob_sources`].
    pub fn remove_blob_source(&mut self, source: &BlobSource) -> Result<()> {
        let Some(diff_id) = self.catalog().diff_id_for_blob(&source.digest)? else {
            return Ok(());
        };
        let mut list = self.catalog().blob_sources(&diff_id)?;
        list.retain(|s| s != source);
        let k = key(DIST_DIFF, diff_id.hex());
        if list.is_empty() {
            self.push(Op::Delete(k));
        } else {
            self.push(Op::Put(k, json(&list)?));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::meta::MemStore;

    fn repo(name: &str) -> Reference {
        Reference::parse_normalized(name).expect("valid")
    }

    fn add(c: &Catalog, sources: &[(DiffId, BlobSource)]) {
        let mut txn = c.txn();
        txn.add_blob_sources(sources).expect("add");
        txn.commit().expect("commit");
    }

    #[test]
    fn records_and_reads_back_as_dockerd() {
        let c = Catalog::new(Arc::new(MemStore::new()));
        let (diff, other) = (Digest::of(b"diff"), Digest::of(b"other diff"));
        let (gz, zst) = (Digest::of(b"gz"), Digest::of(b"zst"));
        assert_eq!(c.diff_id_for_blob(&gz).expect("read"), None);
        assert!(c.blob_sources(&diff).expect("read").is_empty());
        let a = BlobSource::new(gz.clone(), &repo("busybox:latest"));
        assert_eq!(a.repository, "docker.io/library/busybox");
        let b = BlobSource::new(zst.clone(), &repo("localhost:5000/x"));
        // Twice the same diff ID in one batch: both kept.
        add(&c, &[(diff.clone(), a.clone()), (diff.clone(), b.clone())]);
        assert_eq!(c.blob_sources(&diff).expect("read"), [a.clone(), b.clone()]);
        assert_eq!(c.diff_id_for_blob(&zst).expect("read"), Some(diff.clone()));
        // Seen again: moved to the end, not repeated.
        add(&c, &[(diff.clone(), a.clone())]);
        assert_eq!(c.blob_sources(&diff).expect("read"), [b.clone(), a.clone()]);
        // The stored form is dockerd's.
        let raw = c
            .kv()
            .get(&key(DIST_DIFF, diff.hex()))
            .expect("read")
            .expect("present");
        let text = String::from_utf8(raw).expect("utf8");
        assert!(text.starts_with(r#"[{"Digest":"sha256:"#), "{text}");
        assert!(text.contains(r#""SourceRepository":"localhost:5000/x""#));
        // Forgetting one source keeps the others; the last one takes the list with it.
        let mut txn = c.txn();
        txn.remove_blob_source(&b).expect("remove");
        txn.commit().expect("commit");
        assert_eq!(
            c.blob_sources(&diff).expect("read"),
            std::slice::from_ref(&a)
        );
        let mut txn = c.txn();
        txn.remove_blob_source(&a).expect("remove");
        txn.commit().expect("commit");
        assert!(c.blob_sources(&diff).expect("read").is_empty());
        assert!(c.blob_sources(&other).expect("read").is_empty());
    }

    #[test]
    fn keeps_the_newest_fifty() {
        let c = Catalog::new(Arc::new(MemStore::new()));
        let diff = Digest::of(b"diff");
        let all: Vec<(DiffId, BlobSource)> = (0..60)
            .map(|i| {
                let blob = Digest::of(format!("blob {i}").as_bytes());
                (diff.clone(), BlobSource::new(blob, &repo("r")))
            })
            .collect();
        add(&c, &all[..30]);
        add(&c, &all[30..]);
        let kept = c.blob_sources(&diff).expect("read");
        assert_eq!(kept.len(), MAX_SOURCES);
        assert_eq!(kept[0], all[10].1);
        assert_eq!(kept[MAX_SOURCES - 1], all[59].1);
    }
}

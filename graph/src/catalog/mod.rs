//! The typed schema of the metadata database: images, configs, layers, references, the
//! parent/child index and the garbage list, all as keys of one ordered [`MetaStore`].
//!
//! Key layout (`<hex>` is 64 lowercase hex digits):
//!
//! | key | value |
//! |---|---|
//! | `img/<hex>` | [`ImageRecord`] (JSON) — also the prefix-ID index |
//! | `cfg/<hex>` | the image config, exact bytes |
//! | `lay/<hex>` | [`LayerRecord`] (JSON), by chain ID |
//! | `ref/<reference>` | image ID hex, by fully qualified reference |
//! | `iref/<hex>/<reference>` | empty: the references of one image |
//! | `child/<parent hex>/<child hex>` | empty: images whose recorded parent is another |
//! | `gc/<cache id>` | chain ID hex: a layer directory that may have no record (see `store`) |
//! | `count/images` | number of images, u64 little endian |
//! | `dist/blob/<blob hex>` | diff ID hex: the layer a registry blob holds (dockerd's `diffid-by-digest`) |
//! | `dist/diff/<hex>` | JSON `[{"Digest","SourceRepository"}]`: blobs that hold a layer, by diff ID (dockerd's `v2metadata-by-diffid`) |
//!
//! Writers must be serialised by the caller (the image store holds one lock for mutations);
//! readers need no lock.

mod dist;
mod prefix;
mod records;
mod txn;

pub use dist::{BlobSource, MAX_SOURCES};
pub use prefix::{PrefixMatch, classify, normalize_prefix};
pub use records::{ImageRecord, LayerRecord};
pub use txn::Txn;

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::digest::{ChainId, Digest, ImageId};
use crate::error::{Error, Result};
use crate::meta::MetaStore;
use crate::reference::Reference;

pub(crate) const IMG: &str = "img/";
pub(crate) const CFG: &str = "cfg/";
pub(crate) const LAY: &str = "lay/";
pub(crate) const REF: &str = "ref/";
pub(crate) const IREF: &str = "iref/";
pub(crate) const CHILD: &str = "child/";
pub(crate) const GC: &str = "gc/";
pub(crate) const COUNT: &str = "count/images";
pub(crate) const DIST_BLOB: &str = "dist/blob/";
pub(crate) const DIST_DIFF: &str = "dist/diff/";

/// Typed access to the metadata database.
#[derive(Clone)]
pub struct Catalog {
    kv: Arc<dyn MetaStore>,
}

fn key(prefix: &str, rest: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + rest.len());
    k.extend_from_slice(prefix.as_bytes());
    k.extend_from_slice(rest.as_bytes());
    k
}

fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Store(format!("corrupt {what}: {e}")))
}

fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| Error::Store("non-utf8 key".to_string()))
}

fn digest_of(hex: &str) -> Result<Digest> {
    Digest::from_hex(hex).ok_or_else(|| Error::Store(format!("corrupt id in key: {hex}")))
}

impl Catalog {
    /// Wraps a key-value store.
    pub fn new(kv: Arc<dyn MetaStore>) -> Catalog {
        Catalog { kv }
    }

    /// Starts a batch of writes.
    pub fn txn(&self) -> Txn {
        Txn::new(self.clone())
    }

    pub(crate) fn kv(&self) -> &dyn MetaStore {
        self.kv.as_ref()
    }

    /// The record of an image.
    pub fn image(&self, id: &ImageId) -> Result<Option<ImageRecord>> {
        match self.kv.get(&key(IMG, id.hex()))? {
            Some(v) => Ok(Some(decode("image record", &v)?)),
            None => Ok(None),
        }
    }

    /// The exact config bytes of an image.
    pub fn config(&self, id: &ImageId) -> Result<Option<Vec<u8>>> {
        self.kv.get(&key(CFG, id.hex()))
    }

    /// Looks an image up by a hex prefix of its ID (without `sha256:`): one ordered seek.
    pub fn find_prefix(&self, hex_prefix: &str) -> Result<PrefixMatch<ImageId>> {
        let scan = self
            .kv
            .scan_prefix(&key(IMG, hex_prefix))
            .map(|r| r.and_then(|(k, _)| digest_of(utf8(&k[IMG.len()..])?)));
        classify(scan)
    }

    /// All images with their records, in ID order.
    pub fn images(&self) -> impl Iterator<Item = Result<(ImageId, ImageRecord)>> + '_ {
        self.kv.scan_prefix(IMG.as_bytes()).map(|r| {
            let (k, v) = r?;
            Ok((
                digest_of(utf8(&k[IMG.len()..])?)?,
                decode("image record", &v)?,
            ))
        })
    }

    /// Number of images, from a counter kept with every commit (no scan).
    pub fn image_count(&self) -> Result<u64> {
        Ok(self.kv.get(COUNT.as_bytes())?.map_or(0, |v| {
            let mut b = [0u8; 8];
            let n = v.len().min(8);
            b[..n].copy_from_slice(&v[..n]);
            u64::from_le_bytes(b)
        }))
    }

    /// A layer by chain ID.
    pub fn layer(&self, chain: &ChainId) -> Result<Option<LayerRecord>> {
        match self.kv.get(&key(LAY, chain.hex()))? {
            Some(v) => Ok(Some(decode("layer record", &v)?)),
            None => Ok(None),
        }
    }

    /// All layers, in chain ID order.
    pub fn layers(&self) -> impl Iterator<Item = Result<(ChainId, LayerRecord)>> + '_ {
        self.kv.scan_prefix(LAY.as_bytes()).map(|r| {
            let (k, v) = r?;
            Ok((
                digest_of(utf8(&k[LAY.len()..])?)?,
                decode("layer record", &v)?,
            ))
        })
    }

    /// The image a reference points to.
    pub fn reference(&self, r: &Reference) -> Result<Option<ImageId>> {
        match self.kv.get(&key(REF, &r.to_string()))? {
            Some(v) => Ok(Some(digest_of(utf8(&v)?)?)),
            None => Ok(None),
        }
    }

    /// The references that point to an image, in order.
    pub fn references_of(&self, id: &ImageId) -> Result<Vec<Reference>> {
        self.iter_references_of(id, "").collect()
    }

    /// The references that point to an image whose full form starts with `start` (`""` for
    /// all; `docker.io/library/busybox:` for its tags in that repository), in order and
    /// lazily: taking the first few costs a seek, however many the image has.
    pub fn iter_references_of(
        &self,
        id: &ImageId,
        start: &str,
    ) -> impl Iterator<Item = Result<Reference>> + '_ {
        let prefix_len = IREF.len() + id.hex().len() + 1;
        self.kv
            .scan_prefix(&key(IREF, &format!("{}/{start}", id.hex())))
            .map(move |r| {
                let (k, _) = r?;
                parse_stored_ref(utf8(&k[prefix_len..])?)
            })
    }

    /// Every reference with its image.
    pub fn all_references(&self) -> impl Iterator<Item = Result<(Reference, ImageId)>> + '_ {
        self.kv.scan_prefix(REF.as_bytes()).map(|r| {
            let (k, v) = r?;
            Ok((
                parse_stored_ref(utf8(&k[REF.len()..])?)?,
                digest_of(utf8(&v)?)?,
            ))
        })
    }

    /// The references of one repository (`docker.io/library/busybox`): all its tags and
    /// digests.
    pub fn references_by_name(&self, name: &str) -> Result<Vec<(Reference, ImageId)>> {
        let mut out = Vec::new();
        for sep in [":", "@"] {
            for r in self.kv.scan_prefix(&key(REF, &format!("{name}{sep}"))) {
                let (k, v) = r?;
                let reference = parse_stored_ref(utf8(&k[REF.len()..])?)?;
                // `busybox:…` must not match a repository named `busybox:…` with a longer name.
                if reference.name() == name {
                    out.push((reference, digest_of(utf8(&v)?)?));
                }
            }
        }
        Ok(out)
    }

    /// Images whose recorded parent is `id`.
    pub fn children(&self, id: &ImageId) -> Result<Vec<ImageId>> {
        let prefix = key(CHILD, &format!("{}/", id.hex()));
        self.kv
            .scan_prefix(&prefix)
            .map(|r| {
                let (k, _) = r?;
                digest_of(utf8(&k[prefix.len()..])?)
            })
            .collect()
    }

    /// True if any image records `id` as its parent (one seek).
    pub fn has_children(&self, id: &ImageId) -> Result<bool> {
        let prefix = key(CHILD, &format!("{}/", id.hex()));
        Ok(self.kv.scan_prefix(&prefix).next().transpose()?.is_some())
    }

    /// Layer directories that may lack a record: `(cache id, chain id)`.
    pub fn gc_entries(&self) -> Result<Vec<(String, ChainId)>> {
        self.kv
            .scan_prefix(GC.as_bytes())
            .map(|r| {
                let (k, v) = r?;
                Ok((utf8(&k[GC.len()..])?.to_string(), digest_of(utf8(&v)?)?))
            })
            .collect()
    }
}

fn parse_stored_ref(s: &str) -> Result<Reference> {
    Reference::parse_normalized(s).map_err(|e| Error::Store(format!("corrupt reference {s}: {e}")))
}

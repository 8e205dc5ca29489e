//! A batch of catalog writes, committed atomically and durably.

use super::{CFG, CHILD, COUNT, Catalog, GC, IMG, IREF, ImageRecord, LAY, LayerRecord, REF, key};
use crate::digest::{ChainId, ImageId};
use crate::error::{Error, Result};
use crate::meta::Op;
use crate::reference::Reference;

/// Writes collected for one atomic commit. Reads through the [`Catalog`] do not see them until
/// [`Txn::commit`].
pub struct Txn {
    catalog: Catalog,
    ops: Vec<Op>,
    image_delta: i64,
}

fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Store(format!("encode record: {e}")))
}

impl Txn {
    pub(super) fn new(catalog: Catalog) -> Txn {
        Txn {
            catalog,
            ops: Vec::new(),
            image_delta: 0,
        }
    }

    /// Adds a new image with its config bytes. `is_new` must be true only when the image is
    /// not in the catalog yet (it keeps the image counter right).
    pub fn put_image(
        &mut self,
        id: &ImageId,
        rec: &ImageRecord,
        config: Option<&[u8]>,
        is_new: bool,
    ) -> Result<()> {
        self.ops.push(Op::Put(key(IMG, id.hex()), json(rec)?));
        if let Some(c) = config {
            self.ops.push(Op::Put(key(CFG, id.hex()), c.to_vec()));
        }
        if is_new {
            self.image_delta += 1;
        }
        Ok(())
    }

    /// Removes an existing image and its config.
    pub fn delete_image(&mut self, id: &ImageId) {
        self.ops.push(Op::Delete(key(IMG, id.hex())));
        self.ops.push(Op::Delete(key(CFG, id.hex())));
        self.image_delta -= 1;
    }

    /// Sets a layer record.
    pub fn put_layer(&mut self, chain: &ChainId, rec: &LayerRecord) -> Result<()> {
        self.ops.push(Op::Put(key(LAY, chain.hex()), json(rec)?));
        Ok(())
    }

    /// Removes a layer record.
    pub fn delete_layer(&mut self, chain: &ChainId) {
        self.ops.push(Op::Delete(key(LAY, chain.hex())));
    }

    /// Points `r` at image `id` (the caller removes the reverse entry of a previous target).
    pub fn set_ref(&mut self, r: &Reference, id: &ImageId) {
        let full = r.to_string();
        self.ops
            .push(Op::Put(key(REF, &full), id.hex().as_bytes().to_vec()));
        self.ops.push(Op::Put(
            key(IREF, &format!("{}/{full}", id.hex())),
            Vec::new(),
        ));
    }

    /// Removes reference `r`, which points at `id`.
    pub fn delete_ref(&mut self, r: &Reference, id: &ImageId) {
        let full = r.to_string();
        self.ops.push(Op::Delete(key(REF, &full)));
        self.ops
            .push(Op::Delete(key(IREF, &format!("{}/{full}", id.hex()))));
    }

    /// Records `child`'s parent.
    pub fn add_child(&mut self, parent: &ImageId, child: &ImageId) {
        let k = key(CHILD, &format!("{}/{}", parent.hex(), child.hex()));
        self.ops.push(Op::Put(k, Vec::new()));
    }

    /// Forgets `child`'s parent link.
    pub fn remove_child(&mut self, parent: &ImageId, child: &ImageId) {
        let k = key(CHILD, &format!("{}/{}", parent.hex(), child.hex()));
        self.ops.push(Op::Delete(k));
    }

    /// Marks a layer directory as possibly unreferenced (checked and removed at open).
    pub fn gc_add(&mut self, cache_id: &str, chain: &ChainId) {
        self.ops
            .push(Op::Put(key(GC, cache_id), chain.hex().as_bytes().to_vec()));
    }

    /// Clears a garbage mark.
    pub fn gc_remove(&mut self, cache_id: &str) {
        self.ops.push(Op::Delete(key(GC, cache_id)));
    }

    /// The catalog this batch writes to (its reads do not see the batch).
    pub(super) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Adds one write.
    pub(super) fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// True if nothing was written.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Commits all writes atomically, with the image counter, and flushes.
    pub fn commit(mut self) -> Result<()> {
        if self.ops.is_empty() {
            return Ok(());
        }
        if self.image_delta != 0 {
            let count = self.catalog.image_count()?;
            let next = count.saturating_add_signed(self.image_delta);
            self.ops.push(Op::Put(
                COUNT.as_bytes().to_vec(),
                next.to_le_bytes().to_vec(),
            ));
        }
        self.catalog.kv().commit(self.ops)
    }
}

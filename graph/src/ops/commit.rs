//! Making new images visible: install staged layers, then one atomic batch.

use std::collections::{HashMap, HashSet};

use super::types::LoadProgress;
use crate::catalog::{BlobSource, ImageRecord, LayerRecord};
use crate::digest::{ChainId, DiffId, ImageId, chain_ids};
use crate::error::{Error, Result};
use crate::layers::{Staged, random_id};
use crate::reference::Reference;
use crate::store::ImageStore;
use jiff::Timestamp;

/// An image ready to be committed.
pub(crate) struct NewImage {
    pub id: ImageId,
    pub config: Vec<u8>,
    pub diff_ids: Vec<DiffId>,
    pub parent: Option<ImageId>,
    pub tags: Vec<Reference>,
    /// Set `last_tag_time` (as `docker tag` and `import` do; `load` does not).
    pub stamp_tags: bool,
    /// References set only where they are not set yet: a digest reference already naming
    /// another image keeps it (dockerd's `addDigestReference`).
    pub weak_refs: Vec<Reference>,
    /// Distribution metadata of the image's layers (pull).
    pub sources: Vec<(DiffId, BlobSource)>,
}

impl NewImage {
    /// An image made here (import, commit): its tags stamped, no digest references or blob
    /// sources.
    pub(crate) fn local(
        id: ImageId,
        config: String,
        diff_ids: Vec<DiffId>,
        parent: Option<ImageId>,
        tag: Option<Reference>,
    ) -> NewImage {
        NewImage {
            id,
            config: config.into_bytes(),
            diff_ids,
            parent,
            tags: tag.into_iter().collect(),
            stamp_tags: true,
            weak_refs: Vec::new(),
            sources: Vec::new(),
        }
    }
}

impl ImageStore {
    /// Commits `images`, taking the staged layers they need from `pool` (by chain ID). Layers
    /// that already exist are shared. Either everything becomes visible or nothing does.
    pub(crate) fn commit_images(
        &self,
        images: &[NewImage],
        pool: &mut HashMap<ChainId, Staged>,
        progress: &mut dyn FnMut(LoadProgress),
    ) -> Result<()> {
        let _guard = self.write_lock();
        let mut txn = self.catalog.txn();
        let mut touched: HashMap<ChainId, LayerRecord> = HashMap::new();
        let mut installs: Vec<(Staged, String, ChainId)> = Vec::new();
        let mut added: HashSet<ImageId> = HashSet::new();
        let mut refs: HashMap<Reference, ImageId> = HashMap::new();
        let mut tagged_now: HashMap<ImageId, ImageRecord> = HashMap::new();
        let now = Timestamp::now().to_string();

        for img in images {
            let exists = added.contains(&img.id) || self.catalog.image(&img.id)?.is_some();
            if !exists {
                let chains = chain_ids(&img.diff_ids);
                let mut size = 0;
                for (i, chain) in chains.iter().enumerate() {
                    if !touched.contains_key(chain) {
                        let rec = match self.catalog.layer(chain)? {
                            Some(rec) => rec,
                            None => {
                                let staged = pool.remove(chain).ok_or_else(|| {
                                    Error::Conflict(format!(
                                        "layer {chain} was removed while the image was being stored; retry"
                                    ))
                                })?;
                                let cache_id = random_id();
                                let rec = LayerRecord {
                                    diff_id: img.diff_ids[i].clone(),
                                    parent: i.checked_sub(1).map(|p| chains[p].clone()),
                                    cache_id: cache_id.clone(),
                                    size: staged.applied.size,
                                    tar_size: staged.applied.tar_size,
                                    refcount: 0,
                                };
                                if i > 0
                                    && let Some(p) = touched.get_mut(&chains[i - 1])
                                {
                                    p.refcount += 1;
                                }
                                installs.push((staged, cache_id, chain.clone()));
                                rec
                            }
                        };
                        touched.insert(chain.clone(), rec);
                    }
                    size += touched[chain].size;
                }
                if let Some(top) = chains.last()
                    && let Some(t) = touched.get_mut(top)
                {
                    t.refcount += 1;
                }
                let rec = ImageRecord {
                    top_layer: chains.last().cloned(),
                    parent: img.parent.clone(),
                    size,
                    last_tag_time: (img.stamp_tags && !img.tags.is_empty()).then(|| now.clone()),
                };
                txn.put_image(&img.id, &rec, Some(&img.config), true)?;
                if let Some(p) = &img.parent {
                    txn.add_child(p, &img.id);
                }
                added.insert(img.id.clone());
            } else if img.stamp_tags
                && !img.tags.is_empty()
                && let Some(mut rec) = self.catalog.image(&img.id)?
            {
                rec.last_tag_time = Some(now.clone());
                tagged_now.insert(img.id.clone(), rec);
            }
            for tag in &img.tags {
                let old = match refs.get(tag) {
                    Some(id) => Some(id.clone()),
                    None => self.catalog.reference(tag)?,
                };
                if old.as_ref() == Some(&img.id) {
                    continue;
                }
                if let Some(old) = old {
                    txn.delete_ref(tag, &old);
                    progress(LoadProgress::TagMoved {
                        reference: tag.familiar(),
                        old_id: old,
                    });
                }
                txn.set_ref(tag, &img.id);
                refs.insert(tag.clone(), img.id.clone());
            }
            for r in &img.weak_refs {
                let old = match refs.get(r) {
                    Some(id) => Some(id.clone()),
                    None => self.catalog.reference(r)?,
                };
                match old {
                    None => {
                        txn.set_ref(r, &img.id);
                        refs.insert(r.clone(), img.id.clone());
                    }
                    Some(old) if old != img.id => tracing::warn!(
                        reference = %r,
                        kept = %old,
                        image = %img.id,
                        "digest reference names another image; not moved"
                    ),
                    Some(_) => {}
                }
            }
        }
        // In one call: two images with a layer in common must not overwrite each other's list.
        let sources: Vec<_> = images.iter().flat_map(|i| i.sources.clone()).collect();
        txn.add_blob_sources(&sources)?;
        for (id, rec) in &tagged_now {
            txn.put_image(id, rec, None, false)?;
        }
        for (chain, rec) in &touched {
            txn.put_layer(chain, rec)?;
        }
        self.install_layers(installs, &mut txn)?;
        txn.commit()?;
        self.fault("after-commit");
        Ok(())
    }

    /// Marks, then moves staged layers into place; the marks are cleared by `txn`.
    fn install_layers(
        &self,
        installs: Vec<(Staged, String, ChainId)>,
        txn: &mut crate::catalog::Txn,
    ) -> Result<()> {
        if installs.is_empty() {
            return Ok(());
        }
        let mut marks = self.catalog.txn();
        for (_, cache_id, chain) in &installs {
            marks.gc_add(cache_id, chain);
            txn.gc_remove(cache_id);
        }
        marks.commit()?;
        self.fault("after-gc-mark");
        let mut done: Vec<String> = Vec::new();
        for (staged, cache_id, _) in installs {
            if let Err(e) = self.layers.install(staged, &cache_id) {
                // Undo now rather than waiting for the next open.
                let mut undo = self.catalog.txn();
                for c in done.iter().chain(std::iter::once(&cache_id)) {
                    let _ = self.layers.remove(c);
                    undo.gc_remove(c);
                }
                let _ = undo.commit();
                return Err(e);
            }
            done.push(cache_id);
        }
        self.fault("after-install");
        Ok(())
    }
}

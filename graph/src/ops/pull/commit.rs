//! Committing a pull: everything visible at once, or nothing.

use std::collections::HashMap;

use super::{Pull, Slot};
use crate::catalog::BlobSource;
use crate::error::{Error, Result};
use crate::ops::commit::NewImage;
use crate::ops::types::Pulled;
use crate::reference::Reference;

impl Pull {
    /// Commits the image: the staged layers are installed bottom first, then one batch adds
    /// the layer and image records, the references and the distribution metadata, and is
    /// flushed (the commit path of `load`). A crash at any point leaves either nothing or the
    /// whole image; what it left is removed at the next open.
    ///
    /// - `tags` are pointed at the image, moved from another image that had them: the tag of
    ///   a pull by tag (`busybox:latest`), or the digest reference of a pull by digest
    ///   (dockerd's `AddTag`/`AddDigest` with force).
    /// - `digest_ref`, the repository digest a pull by tag records (`busybox@sha256:…`, for
    ///   `RepoDigests`), is added unless it already names another image, which keeps it
    ///   (dockerd's `addDigestReference`).
    /// - `blobs` gives, for each layer bottom first, the blob it was pulled as and the
    ///   repository (stored layers included, as dockerd records them). A staged layer whose
    ///   bytes do not hash to its blob's digest is refused.
    ///
    /// Every layer not stored before the pull must have been staged.
    pub fn commit(
        self,
        tags: &[Reference],
        digest_ref: Option<&Reference>,
        blobs: &[BlobSource],
    ) -> Result<Pulled> {
        if blobs.len() != self.diff_ids.len() {
            return Err(Error::bad(format!(
                "{} blobs given for an image of {} layers",
                blobs.len(),
                self.diff_ids.len()
            )));
        }
        if let Some(r) = tags.iter().find(|r| r.is_name_only()) {
            return Err(Error::bad(format!(
                "reference {r} has neither tag nor digest"
            )));
        }
        if let Some(r) = digest_ref.filter(|r| r.digest().is_none()) {
            return Err(Error::bad(format!("reference {r} has no digest")));
        }
        let state = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut pool = HashMap::new();
        for (i, slot) in state.slots.into_iter().enumerate() {
            match slot {
                Slot::Stored => {}
                Slot::Staged(s) => {
                    if s.applied.blob_digest != blobs[i].digest {
                        return Err(Error::bad(format!(
                            "layer {i}: blob {} does not match its content ({})",
                            blobs[i].digest, s.applied.blob_digest
                        )));
                    }
                    pool.insert(self.chains[i].clone(), s);
                }
                Slot::Missing | Slot::Staging => {
                    return Err(Error::bad(format!(
                        "layer {i} ({}) was not staged",
                        self.diff_ids[i]
                    )));
                }
            }
        }
        let store = self.store;
        // Read before the commit, as dockerd does; a concurrent tag only changes the words.
        let mut updated = false;
        for t in tags {
            updated |= store.catalog.reference(t)?.as_ref() != Some(&self.id);
        }
        let image = NewImage {
            id: self.id.clone(),
            config: self.config,
            sources: self
                .diff_ids
                .iter()
                .cloned()
                .zip(blobs.iter().cloned())
                .collect(),
            diff_ids: self.diff_ids,
            parent: None,
            tags: tags.to_vec(),
            stamp_tags: false,
            weak_refs: digest_ref.into_iter().cloned().collect(),
        };
        store.commit_images(&[image], &mut pool, &mut |_| {})?;
        Ok(Pulled {
            id: self.id,
            updated,
        })
    }
}

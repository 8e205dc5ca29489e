//! What the registry client asks of the store besides a pull's staging and commit: the
//! distribution metadata (which blobs hold which layer, see `catalog::dist`), whether a layer
//! is stored, a repository's tags, and the digest reference a push records.

use crate::catalog::BlobSource;
use crate::digest::{ChainId, DiffId, Digest, ImageId};
use crate::error::{Error, Result};
use crate::reference::Reference;
use crate::store::ImageStore;

impl ImageStore {
    /// True if the layer with this chain ID is stored.
    pub fn has_layer(&self, chain: &ChainId) -> Result<bool> {
        Ok(self.catalog.layer(chain)?.is_some())
    }

    /// The diff ID of the layer a registry blob holds, if a pull or push recorded it (a pull
    /// can tell "Already exists" before it has the config; see [`crate::digest::chain_ids`]).
    pub fn diff_id_for_blob(&self, blob: &Digest) -> Result<Option<DiffId>> {
        self.catalog.diff_id_for_blob(blob)
    }

    /// The registry blobs known to hold the layer `diff_id`, oldest first: a push checks
    /// whether the target repository has one ("Layer already exists") or mounts one from
    /// another repository of the same registry.
    pub fn blobs_for_diff_id(&self, diff_id: &DiffId) -> Result<Vec<BlobSource>> {
        self.catalog.blob_sources(diff_id)
    }

    /// Records that `source` holds the layer `diff_id`, after it was uploaded, found or
    /// mounted by a push (one durable batch).
    pub fn record_pushed(&self, diff_id: &DiffId, source: &BlobSource) -> Result<()> {
        let _guard = self.write_lock();
        let mut txn = self.catalog.txn();
        txn.add_blob_sources(&[(diff_id.clone(), source.clone())])?;
        txn.commit()
    }

    /// Forgets `source` (dockerd does when mounting it failed: the mapping is no longer
    /// valid).
    pub fn forget_blob_source(&self, source: &BlobSource) -> Result<()> {
        let _guard = self.write_lock();
        let mut txn = self.catalog.txn();
        txn.remove_blob_source(source)?;
        txn.commit()
    }

    /// Records the digest reference `reference` (`repo@sha256:…`, the manifest a push
    /// uploaded) for image `id`, unless it already names another image, which keeps it
    /// (dockerd's `addDigestReference`: a warning, not an error).
    pub fn add_digest_reference(&self, reference: &Reference, id: &ImageId) -> Result<()> {
        if reference.digest().is_none() || reference.tag().is_some() {
            return Err(Error::InvalidReference(format!(
                "{} is not a digest reference",
                reference.familiar()
            )));
        }
        let _guard = self.write_lock();
        if self.catalog.image(id)?.is_none() {
            return Err(Error::NotFound(id.to_string()));
        }
        match self.catalog.reference(reference)? {
            None => {
                let mut txn = self.catalog.txn();
                txn.set_ref(reference, id);
                txn.commit()
            }
            Some(old) if &old != id => {
                tracing::warn!(
                    reference = %reference,
                    kept = %old,
                    image = %id,
                    "digest reference names another image; not moved"
                );
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    /// The tags of the repository `repo` names (its tag or digest is ignored) with their
    /// images, sorted by tag: what a push of a repository without a tag pushes.
    pub fn repository_tags(&self, repo: &Reference) -> Result<Vec<(Reference, ImageId)>> {
        let mut tags: Vec<(Reference, ImageId)> = self
            .catalog
            .references_by_name(&repo.name())?
            .into_iter()
            .filter(|(r, _)| r.digest().is_none())
            .collect();
        tags.sort_by(|a, b| a.0.tag().cmp(&b.0.tag()));
        Ok(tags)
    }
}

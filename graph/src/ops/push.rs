//! `docker push`, the image store's side: what to upload, and each layer's tar, re-created
//! byte for byte from its files and tar-split record (as `save` writes it).

use std::collections::HashMap;
use std::io::Write;

use crate::catalog::BlobSource;
use crate::config::ImageConfig;
use crate::digest::{ChainId, DiffId, ImageId, chain_ids};
use crate::error::{Error, Result};
use crate::store::ImageStore;

/// What a push uploads for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPlan {
    /// The image ID: the digest of `config`, which is the config blob.
    pub id: ImageId,
    /// The exact config bytes.
    pub config: Vec<u8>,
    /// The layers, bottom first.
    pub layers: Vec<PushLayer>,
}

/// One layer of a [`PushPlan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLayer {
    /// The digest of the layer's uncompressed tar.
    pub diff_id: DiffId,
    /// The chain ID: names the layer for [`ImageStore::write_layer_tar`].
    pub chain_id: ChainId,
    /// Size of the layer's content (files and symlinks), as dockerd's `DiffSize`.
    pub size: u64,
    /// Length of the uncompressed tar [`ImageStore::write_layer_tar`] writes.
    pub tar_size: u64,
    /// Registry blobs known to hold the layer, oldest first (see
    /// [`ImageStore::blobs_for_diff_id`]).
    pub known_blobs: Vec<BlobSource>,
}

impl ImageStore {
    /// What pushing the image `name` (reference, ID or unique ID prefix) uploads.
    pub fn push_plan(&self, name: &str) -> Result<PushPlan> {
        let id = self.resolve(name)?;
        let config = self
            .catalog
            .config(&id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        let diff_ids = ImageConfig::parse(&config)?.diff_ids().to_vec();
        let mut known: HashMap<DiffId, Vec<BlobSource>> = HashMap::new();
        let mut layers = Vec::with_capacity(diff_ids.len());
        for (diff_id, chain_id) in diff_ids.iter().zip(chain_ids(&diff_ids)) {
            let rec = self
                .catalog
                .layer(&chain_id)?
                .ok_or_else(|| Error::Store(format!("layer {chain_id} is missing")))?;
            let known_blobs = match known.get(diff_id) {
                Some(k) => k.clone(),
                None => {
                    let k = self.catalog.blob_sources(diff_id)?;
                    known.insert(diff_id.clone(), k.clone());
                    k
                }
            };
            layers.push(PushLayer {
                diff_id: diff_id.clone(),
                chain_id,
                size: rec.size,
                tar_size: rec.tar_size,
                known_blobs,
            });
        }
        Ok(PushPlan { id, config, layers })
    }

    /// Writes the uncompressed tar of the layer `chain` to `out`: the exact bytes it was
    /// pulled or loaded as, which hash to its diff ID. They are checked on the way; on a
    /// mismatch the call fails after the last byte, and the upload must be abandoned. Fails
    /// too if the layer was removed since the plan was made. Callable from several threads.
    pub fn write_layer_tar(&self, chain: &ChainId, out: &mut dyn Write) -> Result<()> {
        let rec = self.catalog.layer(chain)?.ok_or_else(|| {
            Error::Conflict(format!(
                "layer {chain} was removed while the image was being pushed; retry"
            ))
        })?;
        self.layers
            .write_tar(&rec.cache_id, &rec.diff_id, rec.tar_size, out)
    }
}

//! What `docker system df` and the image prune need to know of the stored layers: their
//! sizes.

use std::collections::HashMap;

use crate::digest::ChainId;
use crate::error::Result;
use crate::store::ImageStore;

impl ImageStore {
    /// The size of each stored layer's own content (files and symlinks, hard links once), by
    /// chain ID: `LayersSize` is their sum, and a prune reclaims those of the layers it
    /// deletes.
    pub fn layer_sizes(&self) -> Result<HashMap<ChainId, u64>> {
        self.catalog
            .layers()
            .map(|r| r.map(|(chain, rec)| (chain, rec.size)))
            .collect()
    }
}

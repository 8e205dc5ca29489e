//! The images whose recorded parent is a given image: where the builder's cache looks for a
//! step already built on that parent (dockerd's `imageStore.Children`).

use crate::digest::ImageId;
use crate::error::Result;
use crate::store::ImageStore;

impl ImageStore {
    /// The images whose parent is `id`.
    pub fn children(&self, id: &ImageId) -> Result<Vec<ImageId>> {
        self.catalog.children(id)
    }
}

//! The image store as the daemon uses it: `graph` behind the API's `ImageBackend`.
//!
//! `graph` is synchronous (it reads and writes files and sled); every call runs on tokio's
//! blocking pool, and request and response bodies cross over through bounded channels
//! (`bridge`), so memory stays bounded however large the tar is.

mod backend;
pub(crate) mod bridge;
mod convert;
pub(crate) mod dockerfile;
pub(crate) mod events;
mod filter;
pub(crate) mod usage;

use std::sync::Arc;

use anyhow::{Context, Result};
use graph::{ImageStore, StoreOptions};
use hostcheck::Report;

use crate::dataroot::DataRoot;
use crate::error::Error;

/// The opened image store, shared with the blocking tasks that use it.
#[derive(Clone)]
pub struct Images {
    store: Arc<ImageStore>,
}

impl std::fmt::Debug for Images {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Images")
            .field("driver", &self.store.driver())
            .finish()
    }
}

impl Images {
    /// Opens the store under the data root with the requested (or best supported) driver.
    pub fn open(root: &DataRoot, driver: Option<&str>, host: &Report) -> Result<Self> {
        let overlay_supported = host.facts.overlay.unwrap_or(false)
            && host.data_root.as_ref().is_none_or(|fs| fs.d_type);
        let store = ImageStore::open(&StoreOptions {
            root: root.root.clone(),
            driver: driver.map(str::to_owned),
            overlay_supported,
        })
        .context("opening the image store")?;
        Ok(Images {
            store: Arc::new(store),
        })
    }

    /// How many distinct images the store holds.
    pub fn count(&self) -> u64 {
        self.store.image_count().unwrap_or(0)
    }

    /// The storage driver's name.
    pub fn driver_name(&self) -> &str {
        self.store.driver()
    }

    /// The storage driver's details, as label/value pairs.
    pub fn driver_status(&self) -> Vec<[String; 2]> {
        self.store
            .driver_status()
            .into_iter()
            .map(|(k, v)| [k, v])
            .collect()
    }

    /// Starts storing a pulled image whose config is `config` (verified by the caller).
    pub(crate) async fn begin_pull(&self, config: Vec<u8>) -> Result<graph::Pull, Error> {
        let store = Arc::clone(&self.store);
        off_thread(move || store.begin_pull(&config)).await
    }

    /// Commits a pull whose missing layers are all staged: everything visible at once.
    pub(crate) async fn commit_pull(
        &self,
        pull: graph::Pull,
        tags: Vec<graph::Reference>,
        digest_ref: Option<graph::Reference>,
        blobs: Vec<graph::BlobSource>,
    ) -> Result<graph::Pulled, Error> {
        off_thread(move || pull.commit(&tags, digest_ref.as_ref(), &blobs)).await
    }

    /// Runs `f` with the store on the blocking pool; the future owns what it needs, so it can
    /// also be spawned to outlive the request that started it.
    pub(crate) fn blocking<T, F>(
        &self,
        f: F,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(&ImageStore) -> graph::Result<T> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        off_thread(move || f(&store))
    }
}

/// Runs a graph call on the blocking pool.
async fn off_thread<T, F>(f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce() -> graph::Result<T> + Send + 'static,
{
    let done = tokio::task::spawn_blocking(f).await;
    let result = done.map_err(|source| Error::Task {
        what: "image task",
        source,
    })?;
    Ok(result?)
}

//! `docker pull`, the image store's side: layers come in as blob streams (already verified
//! against their digests by the registry client), are extracted into staging directories,
//! possibly several at once, and the image is committed through the same path as `load`.
//!
//! 1. [`ImageStore::begin_pull`] reads the config (the caller checked its digest against the
//!    manifest): the image ID, the diff IDs, the chain IDs, and which layers are stored
//!    already (by chain ID; those are not fetched: dockerd's "Already exists").
//! 2. [`Pull::stage_layer`] extracts one layer from its blob stream, from any thread. With
//!    overlay2 each layer's directory holds only its own changes (whiteouts as overlay
//!    whiteouts), so layers are read, verified and extracted all at once. With vfs a layer is
//!    applied on a copy of the tree below it: a layer whose parent is not staged yet is read
//!    into a file in the staging area meanwhile (the download does not wait), then waits for
//!    the parent, then is extracted.
//! 3. [`Pull::commit`] installs the staged layers in order and commits the image record,
//!    its references and the distribution metadata in one batch (see `commit`).
//!
//! Dropping a [`Pull`] without committing removes what it staged; a crash leaves only
//! staging directories, which the next open removes.

mod commit;
mod stage;

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::config::ImageConfig;
use crate::digest::{ChainId, DiffId, Digest, ImageId, chain_ids};
use crate::error::{Error, Result};
use crate::layers::Staged;
use crate::store::ImageStore;

/// An image being pulled: its config read, its layers being staged. `Send` and `Sync`:
/// share it (e.g. in an `Arc`) between the threads that stage its layers.
pub struct Pull {
    store: Arc<ImageStore>,
    id: ImageId,
    config: Vec<u8>,
    diff_ids: Vec<DiffId>,
    chains: Vec<ChainId>,
    image_exists: bool,
    state: Mutex<State>,
    /// Signalled whenever a layer is staged or the pull is cancelled (vfs layers wait for
    /// their parent).
    changed: Condvar,
}

struct State {
    slots: Vec<Slot>,
    cancelled: bool,
}

/// Where one layer stands.
enum Slot {
    /// Stored before the pull began: not fetched.
    Stored,
    /// Not staged yet (or its staging failed: it may be tried again).
    Missing,
    /// A [`Pull::stage_layer`] call is on it.
    Staging,
    /// Extracted and verified, waiting for the commit.
    Staged(Staged),
}

impl ImageStore {
    /// Starts a pull of the image whose config is `config` (its exact bytes; the image ID is
    /// their digest, as in dockerd).
    pub fn begin_pull(self: &Arc<Self>, config: &[u8]) -> Result<Pull> {
        let parsed = ImageConfig::parse(config)?;
        if parsed.rootfs.is_none() {
            return Err(Error::bad("invalid rootfs in image configuration"));
        }
        let diff_ids = parsed.diff_ids().to_vec();
        let chains = chain_ids(&diff_ids);
        let mut slots = Vec::with_capacity(chains.len());
        for chain in &chains {
            slots.push(match self.catalog.layer(chain)? {
                Some(_) => Slot::Stored,
                None => Slot::Missing,
            });
        }
        let id = Digest::of(config);
        Ok(Pull {
            store: Arc::clone(self),
            image_exists: self.catalog.image(&id)?.is_some(),
            id,
            config: config.to_vec(),
            diff_ids,
            chains,
            state: Mutex::new(State {
                slots,
                cancelled: false,
            }),
            changed: Condvar::new(),
        })
    }
}

impl Pull {
    /// The image ID.
    pub fn id(&self) -> &ImageId {
        &self.id
    }

    /// True if the image itself was stored before the pull began.
    pub fn image_exists(&self) -> bool {
        self.image_exists
    }

    /// The layers' diff IDs, bottom first (one per manifest layer).
    pub fn diff_ids(&self) -> &[DiffId] {
        &self.diff_ids
    }

    /// The layers' chain IDs, bottom first.
    pub fn chain_ids(&self) -> &[ChainId] {
        &self.chains
    }

    /// True if layer `index` was stored before the pull began: it is not fetched
    /// ("Already exists").
    pub fn is_stored(&self, index: usize) -> bool {
        matches!(self.lock().slots.get(index), Some(Slot::Stored))
    }

    /// The indexes of the layers to fetch and stage, bottom first.
    pub fn missing(&self) -> Vec<usize> {
        let st = self.lock();
        (0..st.slots.len())
            .filter(|i| !matches!(st.slots[*i], Slot::Stored))
            .collect()
    }

    /// Gives up: every [`Pull::stage_layer`] waiting for a parent (vfs) returns an error at
    /// once, and later calls fail. A caller that stops staging a layer (its download failed
    /// for good) must call this, or vfs layers above it wait for ever.
    pub fn cancel(&self) {
        self.lock().cancelled = true;
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Slots change in single assignments, so a panic elsewhere leaves them usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn cancelled() -> Error {
    Error::Conflict("the pull was cancelled".to_string())
}

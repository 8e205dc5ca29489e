//! The image store: opening, start-up cleanup, name resolution, consistency check.
//!
//! On-disk layout under the data root:
//!
//! ```text
//! <root>/image/<driver>/db/        sled database (see `catalog` for the keys)
//! <root>/image/<driver>/staging/   layers and spooled archive members in flight; emptied at open
//! <root>/<driver>/<cache id>/      one directory per layer:
//!     diff/                        the layer's files (overlay2: its own changes; vfs: full tree)
//!     tar-split.zst                how to re-create the layer tar byte for byte
//!     extra/<n>                    (rare) contents the tar itself later replaced
//! ```
//!
//! Crash safety: a layer is built in `staging/`, its cache ID is marked in the database's `gc/`
//! list, then it is renamed into place, then one atomic batch adds the layer records, the image
//! and its tags and clears the mark. Deleting does the reverse (one batch removes records and
//! marks the directories, then the directories go). At open, `staging/` is emptied and every
//! marked directory without a matching record is removed, so open costs O(marks), not
//! O(images).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::catalog::{Catalog, PrefixMatch, normalize_prefix};
use crate::digest::ImageId;
use crate::driver::DriverKind;
use crate::error::{Error, IoContext, Result};
use crate::layers::LayerStore;
use crate::meta::{MetaStore, SledStore};
use crate::reference::AnyReference;

/// How to open an [`ImageStore`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The daemon's data root (e.g. `/var/lib/wharf`).
    pub root: PathBuf,
    /// Storage driver chosen by the user (`-s`), if any.
    pub driver: Option<String>,
    /// Whether the host supports overlayfs (from the daemon's host checks).
    pub overlay_supported: bool,
}

/// Called at named points of a commit; tests use it to simulate crashes.
pub type FaultHook = Box<dyn Fn(&str) + Send + Sync>;

/// The image store: images, layers and references on disk.
pub struct ImageStore {
    pub(crate) root: PathBuf,
    pub(crate) driver: DriverKind,
    pub(crate) catalog: Catalog,
    pub(crate) layers: LayerStore,
    lock: Mutex<()>,
    fault: Option<FaultHook>,
}

impl ImageStore {
    /// Opens the store under `opts.root` with a sled database, cleaning up after any
    /// interrupted operation.
    pub fn open(opts: &StoreOptions) -> Result<ImageStore> {
        let driver = DriverKind::choose(opts.driver.as_deref(), opts.overlay_supported)?;
        let db_dir = opts.root.join("image").join(driver.name()).join("db");
        std::fs::create_dir_all(&db_dir).at("create", &db_dir)?;
        let meta = Arc::new(SledStore::open(&db_dir)?);
        Self::open_with_meta(&opts.root, driver, meta)
    }

    /// Opens the store with a given metadata backend (tests use [`crate::MemStore`]).
    pub fn open_with_meta(
        root: &Path,
        driver: DriverKind,
        meta: Arc<dyn MetaStore>,
    ) -> Result<ImageStore> {
        let driver_root = root.join(driver.name());
        let staging = root.join("image").join(driver.name()).join("staging");
        std::fs::create_dir_all(&driver_root).at("create", &driver_root)?;
        let store = ImageStore {
            root: root.to_path_buf(),
            driver,
            catalog: Catalog::new(meta),
            layers: LayerStore::new(driver, driver_root, staging),
            lock: Mutex::new(()),
            fault: None,
        };
        store.layers.clear_staging()?;
        store.collect_garbage()?;
        Ok(store)
    }

    /// Removes marked layer directories that have no record (from an interrupted load or
    /// removal) and clears the marks.
    fn collect_garbage(&self) -> Result<()> {
        let entries = self.catalog.gc_entries()?;
        if entries.is_empty() {
            return Ok(());
        }
        let mut txn = self.catalog.txn();
        for (cache_id, chain) in entries {
            let owned = self
                .catalog
                .layer(&chain)?
                .is_some_and(|l| l.cache_id == cache_id);
            if !owned {
                tracing::info!(cache_id, "removing unreferenced layer directory");
                self.layers.remove(&cache_id)?;
            }
            txn.gc_remove(&cache_id);
        }
        txn.commit()
    }

    /// Sets a hook called at named points of commits (`after-gc-mark`, `after-install`,
    /// `after-commit`, `after-remove-commit`); for crash tests only.
    #[doc(hidden)]
    pub fn set_fault_hook(&mut self, hook: FaultHook) {
        self.fault = Some(hook);
    }

    pub(crate) fn fault(&self, point: &str) {
        if let Some(f) = &self.fault {
            f(point);
        }
    }

    /// Serialises mutations of the catalog.
    pub(crate) fn write_lock(&self) -> MutexGuard<'_, ()> {
        // A panic while holding the lock leaves no partial state behind (commits are atomic),
        // so a poisoned lock is still usable.
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The storage driver's name (`overlay2`, `vfs`).
    pub fn driver(&self) -> &'static str {
        self.driver.name()
    }

    /// The storage driver's kind.
    pub fn driver_kind(&self) -> DriverKind {
        self.driver
    }

    /// `DriverStatus` pairs for `/info`.
    pub fn driver_status(&self) -> Vec<(String, String)> {
        self.driver.status(self.layers.driver_root())
    }

    /// The data root this store was opened on.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Number of images (no scan).
    pub fn image_count(&self) -> Result<u64> {
        self.catalog.image_count()
    }

    /// Finds the image a user-given string names, as Docker's `GetImage` does: a full ID, a
    /// reference (`busybox` means `busybox:latest`), or a unique ID prefix with or without
    /// `sha256:`.
    pub fn resolve(&self, name: &str) -> Result<ImageId> {
        match AnyReference::parse(name)? {
            AnyReference::Id(id) => {
                if self.catalog.image(&id)?.is_some() {
                    Ok(id)
                } else {
                    Err(Error::NotFound(id.to_string()))
                }
            }
            AnyReference::Named(r) => {
                let r = r.with_default_tag();
                if let Some(id) = self.catalog.reference(&r)?
                    && self.catalog.image(&id)?.is_some()
                {
                    return Ok(id);
                }
                if let Some(prefix) = normalize_prefix(name) {
                    match self.catalog.find_prefix(prefix)? {
                        PrefixMatch::Unique(id) => return Ok(id),
                        PrefixMatch::Ambiguous => return Err(Error::Ambiguous(name.to_string())),
                        PrefixMatch::None => {}
                    }
                }
                Err(Error::NotFound(r.familiar()))
            }
        }
    }
}

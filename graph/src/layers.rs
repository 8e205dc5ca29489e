//! Layer directories: staging, installing into place, reading back, removing.
//!
//! A layer is always built in `<root>/image/<driver>/staging/<random>/` and moved into
//! `<root>/<driver>/<cache id>/` by one `rename` when its image is committed, so a layer
//! directory under the driver root is either complete or (after a crash) unreferenced and
//! collected at the next open.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::apply::{Applied, apply_layer};
use crate::digest::{DiffId, Digest};
use crate::driver::DriverKind;
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{copy_tree, remove_all};
use crate::tarsplit;

/// Where layers live and how they are built.
pub(crate) struct LayerStore {
    driver: DriverKind,
    /// `<root>/<driver>`: one directory per layer.
    driver_root: PathBuf,
    /// `<root>/image/<driver>/staging`: work in progress, emptied at open.
    staging: PathBuf,
}

/// A layer extracted into the staging area, not yet part of the store. Dropping it removes
/// the directory.
pub(crate) struct Staged {
    dir: PathBuf,
    /// The result of applying the tar.
    pub applied: Applied,
    kept: bool,
}

impl Staged {
    /// The staging directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            let _ = remove_all(&self.dir);
        }
    }
}

/// Removes a directory on drop unless disarmed.
struct DirGuard(Option<PathBuf>);

impl DirGuard {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for DirGuard {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            let _ = remove_all(d);
        }
    }
}

/// A unique name: sha256 of time, pid and a counter (uniqueness is all that matters).
pub(crate) fn random_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut seed = [0u8; 16];
    // Time, pid and counter keep names apart even if the kernel had no randomness to give.
    let _ = getrandom::fill(&mut seed);
    let text = format!("{nanos}-{}-{n}-{}", std::process::id(), hex::encode(seed));
    Digest::of(text.as_bytes()).hex().to_string()
}

impl LayerStore {
    pub(crate) fn new(driver: DriverKind, driver_root: PathBuf, staging: PathBuf) -> LayerStore {
        LayerStore {
            driver,
            driver_root,
            staging,
        }
    }

    /// The directory of an installed layer.
    pub(crate) fn layer_dir(&self, cache_id: &str) -> PathBuf {
        self.driver_root.join(cache_id)
    }

    /// The content directory of an installed layer.
    pub(crate) fn diff_dir(&self, cache_id: &str) -> PathBuf {
        self.layer_dir(cache_id).join("diff")
    }

    /// A new empty staging directory (with an empty `diff/`).
    fn new_staging_dir(&self) -> Result<PathBuf> {
        let dir = self.staging.join(format!("layer-{}", random_id()));
        fs::create_dir_all(dir.join("diff")).at("create", &dir)?;
        Ok(dir)
    }

    /// A scratch file path in the staging area (for spooling archive members).
    pub(crate) fn scratch_path(&self, what: &str) -> PathBuf {
        self.staging.join(format!("{what}-{}", random_id()))
    }

    /// Extracts `input` into a new staging directory. With vfs, `parent_dir` (the layer
    /// directory of the parent, staged or installed) is copied first.
    pub(crate) fn stage(&self, input: &mut dyn Read, parent_dir: Option<&Path>) -> Result<Staged> {
        let dir = self.new_staging_dir()?;
        // Removes the directory if anything below fails.
        let guard = DirGuard(Some(dir.clone()));
        if let Some(p) = parent_dir.filter(|_| self.driver.copies_parent()) {
            copy_tree(&p.join("diff"), &dir.join("diff"))?;
        }
        let applied = apply_layer(input, &dir, self.driver.whiteouts())?;
        guard.disarm();
        Ok(Staged {
            dir,
            applied,
            kept: false,
        })
    }

    /// Copies a staged layer (for the rare case where one tar is needed under two parents).
    pub(crate) fn duplicate(&self, s: &Staged) -> Result<Staged> {
        let dir = self.new_staging_dir()?;
        let copy = Staged {
            dir,
            applied: s.applied.clone(),
            kept: false,
        };
        copy_tree(&s.dir.join("diff"), &copy.dir.join("diff"))?;
        let split = tarsplit::FILE_NAME;
        fs::copy(s.dir.join(split), copy.dir.join(split)).at("copy", &s.dir.join(split))?;
        let extra = s.dir.join(tarsplit::EXTRA_DIR);
        if extra.is_dir() {
            fs::create_dir(copy.dir.join(tarsplit::EXTRA_DIR)).at("create", &copy.dir)?;
            copy_tree(&extra, &copy.dir.join(tarsplit::EXTRA_DIR))?;
        }
        Ok(copy)
    }

    /// Moves a staged layer into place under `cache_id`.
    pub(crate) fn install(&self, mut s: Staged, cache_id: &str) -> Result<()> {
        let to = self.layer_dir(cache_id);
        fs::rename(&s.dir, &to).at("install layer", &to)?;
        s.kept = true;
        Ok(())
    }

    /// Deletes an installed layer's directory.
    pub(crate) fn remove(&self, cache_id: &str) -> Result<()> {
        let dir = self.layer_dir(cache_id);
        remove_all(&dir).at("remove layer", &dir)
    }

    /// Empties the staging area (at open: everything there is from an interrupted operation).
    pub(crate) fn clear_staging(&self) -> Result<()> {
        if self.staging.exists() {
            for entry in fs::read_dir(&self.staging).at("read", &self.staging)? {
                let entry = entry.at("read", &self.staging)?;
                remove_all(&entry.path()).at("remove", &entry.path())?;
            }
        }
        fs::create_dir_all(&self.staging).at("create", &self.staging)
    }

    /// Writes an installed layer's tar, byte for byte as it was received (uncompressed), and
    /// checks it on the way: it must hash to `diff_id` and be `tar_size` bytes long, or the
    /// call fails once everything is written (the reader must then discard it).
    pub(crate) fn write_tar(
        &self,
        cache_id: &str,
        diff_id: &DiffId,
        tar_size: u64,
        out: &mut dyn Write,
    ) -> Result<()> {
        let mut w = crate::digest::HashingWriter::new(out);
        let dir = self.layer_dir(cache_id);
        tarsplit::reassemble(&dir, &dir.join("diff"), &mut w)?;
        let (digest, written, _) = w.finish();
        if written != tar_size || &digest != diff_id {
            return Err(Error::Store(format!(
                "layer {diff_id} could not be reproduced (got {digest}, {written} of {tar_size} bytes)"
            )));
        }
        Ok(())
    }

    /// The layer directories of a chain, top first, as overlayfs wants `lowerdir`.
    pub(crate) fn chain_dirs(&self, cache_ids: &[String]) -> Vec<PathBuf> {
        cache_ids.iter().map(|c| self.diff_dir(c)).collect()
    }

    /// The driver's root directory.
    pub(crate) fn driver_root(&self) -> &Path {
        &self.driver_root
    }
}

//! Staging one layer of a pull from its blob stream.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::{Pull, Slot, State, cancelled};
use crate::error::{Error, IoContext, Result};
use crate::layers::Staged;
use crate::ops::archive::Spool;
use crate::ops::progress::Counting;
use crate::ops::types::LayerProgress;

/// What a vfs layer waiting for its parent reads at a time before it looks again.
const SPOOL_PIECE: usize = 256 * 1024;

impl Pull {
    /// Extracts layer `index` (bottom is 0) from `input`, its blob as the registry serves it:
    /// gzip, zstd or a plain tar, told apart by their first bytes as `load` does. The tar is
    /// checked and extracted exactly as `load` extracts a layer (no entry leaves the layer),
    /// and its digest must be the config's diff ID for `index`, or nothing is kept.
    ///
    /// Callable from several threads at once, for different layers; `input` is read on the
    /// calling thread. With vfs, what comes in while the parent is not staged yet is kept in
    /// a file, extracted once it is: stage the layers of a pull in any order, but every one
    /// below a layer must be staged (or [`Pull::cancel`] called) for it to return. A layer
    /// whose staging failed may be staged again.
    ///
    /// `progress` receives bytes read from `input` (at most every 100 ms and at the end)
    /// and, with vfs, the wait and the extraction after it.
    pub fn stage_layer(
        &self,
        index: usize,
        input: &mut dyn Read,
        progress: &mut dyn FnMut(LayerProgress),
    ) -> Result<()> {
        self.claim(index)?;
        let res = self.stage_claimed(index, input, progress);
        let mut st = self.lock();
        let (slot, res) = match res {
            Ok(staged) => (Slot::Staged(staged), Ok(())),
            Err(e) => (Slot::Missing, Err(e)),
        };
        st.slots[index] = slot;
        drop(st);
        self.changed.notify_all();
        res
    }

    /// Marks layer `index` as being staged, if it may be.
    fn claim(&self, index: usize) -> Result<()> {
        let mut st = self.lock();
        if st.cancelled {
            return Err(cancelled());
        }
        let n = st.slots.len();
        let slot = st.slots.get_mut(index).ok_or_else(|| {
            Error::bad(format!(
                "layer {index} is out of range: the image has {n} layers"
            ))
        })?;
        match slot {
            Slot::Missing => {
                *slot = Slot::Staging;
                Ok(())
            }
            Slot::Stored => Err(Error::bad(format!(
                "layer {index} ({}) is already stored",
                self.diff_ids[index]
            ))),
            Slot::Staging | Slot::Staged(_) => Err(Error::Conflict(format!(
                "layer {index} ({}) is already being staged",
                self.diff_ids[index]
            ))),
        }
    }

    fn stage_claimed(
        &self,
        index: usize,
        input: &mut dyn Read,
        progress: &mut dyn FnMut(LayerProgress),
    ) -> Result<Staged> {
        let layers = &self.store.layers;
        let copies_parent = self.store.driver.copies_parent() && index > 0;
        let ready = match copies_parent {
            true => self.parent_dir(&self.lock(), index - 1)?,
            false => None,
        };
        let staged = if !copies_parent || ready.is_some() {
            let mut report = |n| progress(LayerProgress::Read(n));
            layers.stage(&mut Counting::new(input, &mut report), ready.as_deref())?
        } else {
            self.stage_after_parent(index, input, progress)?
        };
        if staged.applied.diff_id != self.diff_ids[index] {
            tracing::warn!(
                index,
                expected = %self.diff_ids[index],
                actual = %staged.applied.diff_id,
                "pulled layer does not match its diff ID"
            );
            // dockerd's words (`errRootFSMismatch`).
            return Err(Error::bad(
                "layers from manifest don't match image configuration",
            ));
        }
        Ok(staged)
    }

    /// vfs, the parent not staged yet: keeps what comes in a file until it is, then extracts
    /// the file and the rest of the input; if the input ends first, waits for the parent.
    /// (Deciding once, at the start, would keep a whole big layer in a file because the
    /// small one below it was still coming, and lose the overlap of reading and extracting.)
    fn stage_after_parent(
        &self,
        index: usize,
        input: &mut dyn Read,
        progress: &mut dyn FnMut(LayerProgress),
    ) -> Result<Staged> {
        let layers = &self.store.layers;
        let spool = Spool(layers.scratch_path("pull"));
        let mut file = File::create(&spool.0).at("create", &spool.0)?;
        let mut report = |n| progress(LayerProgress::Read(n));
        let mut counted = Counting::new(input, &mut report);
        let mut buf = vec![0u8; SPOOL_PIECE];
        let parent = loop {
            let n = match counted.read(&mut buf) {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("read layer", e)),
            };
            file.write_all(&buf[..n]).at("write", &spool.0)?;
            if let Some(dir) = self.parent_dir(&self.lock(), index - 1)? {
                break Some(dir);
            }
        };
        drop(file);
        let kept = File::open(&spool.0).at("open", &spool.0)?;
        if let Some(dir) = parent {
            return layers.stage(&mut kept.chain(counted), Some(&dir));
        }
        progress(LayerProgress::WaitingForParent);
        let dir = self.wait_for_parent(index - 1)?;
        let mut report = |n| progress(LayerProgress::Extracted(n));
        layers.stage(&mut Counting::new(kept, &mut report), Some(&dir))
    }

    /// The directory of layer `index` if it is there to copy: stored, or staged by this
    /// pull.
    fn parent_dir(&self, st: &State, index: usize) -> Result<Option<PathBuf>> {
        match &st.slots[index] {
            Slot::Staged(s) => Ok(Some(s.dir().to_path_buf())),
            Slot::Stored => match self.store.catalog.layer(&self.chains[index])? {
                Some(rec) => Ok(Some(self.store.layers.layer_dir(&rec.cache_id))),
                None => Err(Error::Conflict(format!(
                    "layer {} was removed while the image was being pulled; retry",
                    self.chains[index]
                ))),
            },
            Slot::Missing | Slot::Staging => Ok(None),
        }
    }

    /// Waits until layer `index` is staged (or the pull is cancelled).
    fn wait_for_parent(&self, index: usize) -> Result<PathBuf> {
        let mut st = self.lock();
        loop {
            if st.cancelled {
                return Err(cancelled());
            }
            if let Some(dir) = self.parent_dir(&st, index)? {
                return Ok(dir);
            }
            st = self.changed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

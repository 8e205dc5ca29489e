//! Whiteouts: `.wh.<name>` deletes a path of the layers below, `.wh..wh..opq` hides a whole
//! directory of theirs. overlay2 keeps them as overlayfs understands them (a 0/0 character
//! device, the `trusted.overlay.opaque` attribute); vfs applies them by deleting.

use std::fs;
use std::os::unix::ffi::OsStrExt;

use super::{Extractor, below, lossy};
use crate::apply::paths::{base_name, escape, join, parent};
use crate::driver::{OPAQUE_XATTR, WhiteoutMode};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{chmod, lchown, make_whiteout, set_xattr};
use crate::tarstream::TarEntry;

const WHITEOUT_PREFIX: &[u8] = b".wh.";
const WHITEOUT_META_PREFIX: &[u8] = b".wh..wh.";
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";

impl Extractor<'_> {
    /// Applies `e` (at the cleaned path `rel`) if it is a whiteout or AUFS metadata, which is
    /// skipped; `false` for an entry of the filesystem.
    pub(super) fn whiteout_entry(&mut self, rel: &[u8], e: &TarEntry) -> Result<bool> {
        if rel.starts_with(WHITEOUT_META_PREFIX) && rel != OPAQUE_MARKER {
            // AUFS metadata (`.wh..wh.plnk`, …): not part of the filesystem.
            return Ok(true);
        }
        let base = base_name(rel);
        if base == OPAQUE_MARKER {
            self.opaque(parent(rel), e)?;
            return Ok(true);
        }
        if let Some(name) = base.strip_prefix(WHITEOUT_PREFIX) {
            if name.is_empty() {
                return Err(Error::bad(format!(
                    "invalid whiteout entry {:?}",
                    lossy(&e.path)
                )));
            }
            let target = join(parent(rel), name);
            self.whiteout(&target, e)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `.wh.<name>`: overlay stores a 0/0 character device, vfs deletes the path.
    fn whiteout(&mut self, target: &[u8], e: &TarEntry) -> Result<()> {
        match self.mode {
            WhiteoutMode::Overlay => {
                self.ensure_parent(target, &e.path)?;
                self.remove(target)?;
                let p = self.abs(target);
                make_whiteout(&p).at("create whiteout", &p)?;
                let uid = u32::try_from(e.uid).unwrap_or(0);
                let gid = u32::try_from(e.gid).unwrap_or(0);
                lchown(&p, uid, gid).at("chown", &p)?;
                self.written.insert(target.to_vec());
            }
            WhiteoutMode::Delete => {
                if self.parents_are_dirs(target, &e.path)? {
                    self.remove(target)?;
                }
            }
        }
        Ok(())
    }

    /// `.wh..wh..opq` in `dir`: overlay marks the directory opaque, vfs deletes everything in
    /// it that did not come from this layer.
    fn opaque(&mut self, dir: &[u8], e: &TarEntry) -> Result<()> {
        match self.mode {
            WhiteoutMode::Overlay => {
                let p = self.abs(dir);
                if !dir.is_empty() {
                    self.ensure_parent(dir, &e.path)?;
                    match fs::symlink_metadata(&p) {
                        Ok(m) if m.is_dir() => {}
                        Ok(m) if m.file_type().is_symlink() => {
                            return Err(escape(
                                &e.path,
                                &format!(
                                    "{:?} is a symlink and marking through it could leave the layer",
                                    lossy(dir)
                                ),
                            ));
                        }
                        Ok(_) => {
                            return Err(Error::bad(format!(
                                "opaque whiteout {:?} is not in a directory",
                                lossy(&e.path)
                            )));
                        }
                        Err(_) => {
                            fs::create_dir(&p).at("create directory", &p)?;
                            chmod(&p, 0o755).at("chmod", &p)?;
                        }
                    }
                    self.safe_dirs.insert(dir.to_vec());
                }
                set_xattr(&p, OPAQUE_XATTR.as_bytes(), b"y").at("mark opaque", &p)?;
            }
            WhiteoutMode::Delete => {
                if !dir.is_empty() {
                    let marker = join(dir, OPAQUE_MARKER);
                    if !self.parents_are_dirs(&marker, &e.path)? {
                        return Ok(());
                    }
                }
                let p = self.abs(dir);
                let mut doomed = Vec::new();
                for entry in fs::read_dir(&p).at("read directory", &p)? {
                    let entry = entry.at("read directory", &p)?;
                    let child = join(dir, entry.file_name().as_bytes());
                    let from_this_layer = self.written.contains(&child)
                        || self.written.range(below(&child)).next().is_some();
                    if !from_this_layer {
                        doomed.push(child);
                    }
                }
                for child in doomed {
                    self.remove(&child)?;
                }
            }
        }
        Ok(())
    }
}

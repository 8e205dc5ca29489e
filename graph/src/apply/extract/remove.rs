//! Removing what is in the way of an entry or deleted by a whiteout, keeping the contents the
//! tar-split still refers to (moved to `extra/<ordinal>`) and the extractor's records true.

use std::fs;
use std::io;

use super::{Extractor, below};
use crate::error::{Error, IoContext, Result};
use crate::tarsplit::EXTRA_DIR;

impl Extractor<'_> {
    /// Removes whatever is at `rel`. File contents the tar-split still refers to are moved to
    /// `extra/<ordinal>` instead of being deleted.
    pub(super) fn remove(&mut self, rel: &[u8]) -> Result<()> {
        let p = self.abs(rel);
        let m = match fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(Error::at("stat", &p, err)),
        };
        if m.is_dir() {
            let below = below(rel);
            let inside: Vec<(Vec<u8>, u64)> = self
                .files
                .range(below.clone())
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            for (k, ordinal) in inside {
                self.relocate(&k, ordinal)?;
            }
            fs::remove_dir_all(&p).at("remove", &p)?;
            let gone: Vec<Vec<u8>> = self.written.range(below.clone()).cloned().collect();
            for k in gone {
                self.written.remove(&k);
            }
            let gone: Vec<Vec<u8>> = self
                .dir_times
                .range(below)
                .map(|(k, _)| k.clone())
                .collect();
            for k in gone {
                self.dir_times.remove(&k);
            }
            self.dir_times.remove(rel);
            self.safe_dirs.clear();
        } else if let Some(ordinal) = self.files.get(rel).copied() {
            self.relocate(rel, ordinal)?;
        } else {
            fs::remove_file(&p).at("remove", &p)?;
        }
        self.written.remove(rel);
        Ok(())
    }

    fn relocate(&mut self, rel: &[u8], ordinal: u64) -> Result<()> {
        let extra = self.layer_dir.join(EXTRA_DIR);
        if !extra.is_dir() {
            fs::create_dir(&extra).at("create directory", &extra)?;
        }
        let from = self.abs(rel);
        let to = extra.join(ordinal.to_string());
        fs::rename(&from, &to).at("move aside", &from)?;
        self.files.remove(rel);
        Ok(())
    }
}

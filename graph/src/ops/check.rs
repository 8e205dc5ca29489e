//! A full consistency check of the store (for tests and diagnostics; it reads everything).

use std::collections::{HashMap, HashSet};
use std::fs;

use crate::config::ImageConfig;
use crate::digest::{ChainId, chain_ids};
use crate::error::Result;
use crate::store::ImageStore;
use crate::tarsplit;

impl ImageStore {
    /// Checks every invariant of the store and returns the problems found (empty when
    /// consistent): each image has its config and all its layers; layer reference counts match
    /// their users; every layer directory exists and no directory lacks a record; references
    /// point to images; the image counter is right; no garbage marks remain. Run it while no
    /// operation is in flight.
    pub fn check(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut expected: HashMap<ChainId, u64> = HashMap::new();
        let mut images = 0u64;
        let mut image_ids = HashSet::new();
        for item in self.catalog.images() {
            let (id, rec) = item?;
            images += 1;
            image_ids.insert(id.clone());
            let Some(raw) = self.catalog.config(&id)? else {
                problems.push(format!("image {id} has no config"));
                continue;
            };
            let cfg = match ImageConfig::parse(&raw) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(format!("image {id}: {e}"));
                    continue;
                }
            };
            let chains = chain_ids(cfg.diff_ids());
            if chains.last() != rec.top_layer.as_ref() {
                problems.push(format!("image {id}: top layer does not match its config"));
            }
            if let Some(top) = chains.last() {
                *expected.entry(top.clone()).or_default() += 1;
            }
            let mut size = 0;
            for c in &chains {
                match self.catalog.layer(c)? {
                    Some(l) => size += l.size,
                    None => problems.push(format!("image {id}: layer {c} is missing")),
                }
            }
            if size != rec.size {
                problems.push(format!(
                    "image {id}: size {} but layers add up to {size}",
                    rec.size
                ));
            }
        }
        if images != self.catalog.image_count()? {
            problems.push(format!(
                "image counter says {} but there are {images}",
                self.catalog.image_count()?
            ));
        }
        let mut cache_ids = HashSet::new();
        let mut layers = Vec::new();
        for item in self.catalog.layers() {
            let (chain, rec) = item?;
            if let Some(p) = &rec.parent {
                *expected.entry(p.clone()).or_default() += 1;
            }
            layers.push((chain, rec));
        }
        for (chain, rec) in &layers {
            let want = expected.get(chain).copied().unwrap_or(0);
            if rec.refcount != want {
                problems.push(format!(
                    "layer {chain}: refcount {} but {want} users",
                    rec.refcount
                ));
            }
            if let Some(p) = &rec.parent
                && self.catalog.layer(p)?.is_none()
            {
                problems.push(format!("layer {chain}: parent {p} is missing"));
            }
            let dir = self.layers.layer_dir(&rec.cache_id);
            if !dir.join("diff").is_dir() || !dir.join(tarsplit::FILE_NAME).is_file() {
                problems.push(format!(
                    "layer {chain}: directory {} is incomplete",
                    dir.display()
                ));
            }
            cache_ids.insert(rec.cache_id.clone());
        }
        for entry in fs::read_dir(self.layers.driver_root())
            .map_err(|e| crate::Error::io("read layers", e))?
        {
            let entry = entry.map_err(|e| crate::Error::io("read layers", e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !cache_ids.contains(&name) {
                problems.push(format!("layer directory {name} has no record"));
            }
        }
        for item in self.catalog.all_references() {
            let (r, id) = item?;
            if !image_ids.contains(&id) {
                problems.push(format!("reference {r} points to missing image {id}"));
            } else if !self.catalog.references_of(&id)?.contains(&r) {
                problems.push(format!("reference {r} is missing from the index of {id}"));
            }
        }
        if !self.catalog.gc_entries()?.is_empty() {
            problems.push("garbage marks remain".to_string());
        }
        Ok(problems)
    }
}

//! `docker image inspect`.

use std::collections::{BTreeMap, HashMap};

use super::types::ImageDetails;
use crate::config::ImageConfig;
use crate::digest::ImageId;
use crate::driver::DriverKind;
use crate::error::{Error, Result};
use crate::store::ImageStore;

impl ImageStore {
    /// Everything the store knows about the image `name` (reference, ID or unique prefix).
    pub fn inspect(&self, name: &str) -> Result<ImageDetails> {
        let id = self.resolve(name)?;
        self.details(&id)
    }

    /// [`Self::inspect`] for an image ID.
    pub fn details(&self, id: &ImageId) -> Result<ImageDetails> {
        let rec = self
            .catalog
            .image(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        let raw = self
            .catalog
            .config(id)?
            .ok_or_else(|| Error::Store(format!("config of {id} is missing")))?;
        let config = ImageConfig::parse(&raw)?;
        let (mut repo_tags, mut repo_digests) = (Vec::new(), Vec::new());
        for r in self.catalog.references_of(id)? {
            if r.digest().is_some() {
                repo_digests.push(r.familiar());
            } else {
                repo_tags.push(r.familiar());
            }
        }
        repo_tags.sort();
        repo_digests.sort();
        let chain = self.chain_of(rec.top_layer.as_ref(), &mut HashMap::new())?;
        let mut cache_ids = Vec::new();
        for c in &chain {
            if let Some(l) = self.catalog.layer(c)? {
                cache_ids.push(l.cache_id);
            }
        }
        let layer_dirs = self.layers.chain_dirs(&cache_ids);
        let mut driver_data = BTreeMap::new();
        if self.driver == DriverKind::Overlay2
            && let Some(top) = cache_ids.first()
        {
            let dir = self.layers.layer_dir(top);
            driver_data.insert(
                "MergedDir".to_string(),
                dir.join("merged").display().to_string(),
            );
            driver_data.insert(
                "UpperDir".to_string(),
                dir.join("diff").display().to_string(),
            );
            driver_data.insert(
                "WorkDir".to_string(),
                dir.join("work").display().to_string(),
            );
            if layer_dirs.len() > 1 {
                let lower: Vec<String> = layer_dirs[1..]
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                driver_data.insert("LowerDir".to_string(), lower.join(":"));
            }
        }
        Ok(ImageDetails {
            id: id.clone(),
            repo_tags,
            repo_digests,
            parent: rec.parent,
            layers: config.diff_ids().to_vec(),
            config,
            raw_config: raw,
            size: rec.size,
            driver: self.driver.name().to_string(),
            driver_data,
            layer_dirs,
            last_tag_time: rec.last_tag_time,
        })
    }
}

//! `docker images`: every image with what the list shows.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::types::ImageSummary;
use crate::catalog::LayerRecord;
use crate::digest::{ChainId, ImageId};
use crate::error::Result;
use crate::store::ImageStore;
use jiff::Timestamp;

/// The few config fields the list needs (parsing less keeps `docker images` fast).
#[derive(Deserialize)]
struct ListConfig {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    config: Option<ListContainerConfig>,
}

#[derive(Deserialize)]
struct ListContainerConfig {
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
}

impl ImageStore {
    /// All images, newest first. `shared_size` also computes, per image, the bytes of layers
    /// other images use too (costs a walk of every image's layer chain).
    pub fn list(&self, shared_size: bool) -> Result<Vec<ImageSummary>> {
        let mut refs: HashMap<ImageId, (Vec<String>, Vec<String>)> = HashMap::new();
        for r in self.catalog.all_references() {
            let (reference, id) = r?;
            let entry = refs.entry(id).or_default();
            if reference.digest().is_some() {
                entry.1.push(reference.familiar());
            } else {
                entry.0.push(reference.familiar());
            }
        }
        let mut out = Vec::new();
        let mut chains: Vec<Vec<ChainId>> = Vec::new();
        let mut layer_cache: HashMap<ChainId, LayerRecord> = HashMap::new();
        for item in self.catalog.images() {
            let (id, rec) = item?;
            let cfg: Option<ListConfig> = self
                .catalog
                .config(&id)?
                .and_then(|raw| serde_json::from_slice(&raw).ok());
            let (mut repo_tags, mut repo_digests) = refs.remove(&id).unwrap_or_default();
            repo_tags.sort();
            repo_digests.sort();
            if shared_size {
                chains.push(self.chain_of(rec.top_layer.as_ref(), &mut layer_cache)?);
            }
            out.push(ImageSummary {
                has_children: self.catalog.has_children(&id)?,
                id,
                parent: rec.parent,
                repo_tags,
                repo_digests,
                created: cfg
                    .as_ref()
                    .and_then(|c| c.created.as_deref())
                    .and_then(|t| t.parse::<Timestamp>().ok()),
                size: rec.size,
                shared_size: None,
                labels: cfg.and_then(|c| c.config).and_then(|c| c.labels),
                containers: -1,
            });
        }
        if shared_size {
            let mut users: HashMap<&ChainId, u32> = HashMap::new();
            for chain in &chains {
                for c in chain {
                    *users.entry(c).or_default() += 1;
                }
            }
            for (summary, chain) in out.iter_mut().zip(&chains) {
                let shared = chain
                    .iter()
                    .filter(|c| users.get(c).copied().unwrap_or(0) > 1)
                    .map(|c| layer_cache.get(c).map_or(0, |l| l.size))
                    .sum();
                summary.shared_size = Some(shared);
            }
        }
        out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The chain IDs of an image's layers, top first.
    pub(crate) fn chain_of(
        &self,
        top: Option<&ChainId>,
        cache: &mut HashMap<ChainId, LayerRecord>,
    ) -> Result<Vec<ChainId>> {
        let mut out = Vec::new();
        let mut cur = top.cloned();
        while let Some(c) = cur {
            let rec = match cache.get(&c) {
                Some(r) => r.clone(),
                None => match self.catalog.layer(&c)? {
                    Some(r) => {
                        cache.insert(c.clone(), r.clone());
                        r
                    }
                    None => break,
                },
            };
            cur = rec.parent.clone();
            out.push(c);
        }
        Ok(out)
    }
}

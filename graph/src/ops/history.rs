//! `docker history`.

use super::types::HistoryEntry;
use crate::config::ImageConfig;
use crate::digest::{ChainId, chain_id};
use crate::error::{Error, Result};
use crate::store::ImageStore;
use jiff::Timestamp;

impl ImageStore {
    /// The build steps of image `name`, newest first, as Docker's `ImageHistory` computes
    /// them: each non-empty step gets the size of the layer it added; the newest step is
    /// labelled with the image ID and its tags, older ones with recorded parents.
    pub fn history(&self, name: &str) -> Result<Vec<HistoryEntry>> {
        let id = self.resolve(name)?;
        let raw = self
            .catalog
            .config(&id)?
            .ok_or_else(|| Error::NotFound(name.to_string()))?;
        let cfg = ImageConfig::parse(&raw)?;
        let diff_ids = cfg.diff_ids();
        let mut out = Vec::new();
        let mut layer = 0;
        let mut chain: Option<ChainId> = None;
        for h in cfg.history.as_deref().unwrap_or(&[]) {
            let mut size = 0;
            if h.empty_layer != Some(true) {
                let diff = diff_ids
                    .get(layer)
                    .ok_or_else(|| Error::bad("too many non-empty layers in History section"))?;
                let c = chain_id(chain.as_ref(), diff);
                size = self.catalog.layer(&c)?.map_or(0, |l| l.size);
                chain = Some(c);
                layer += 1;
            }
            out.push(HistoryEntry {
                id: None,
                created: h
                    .created
                    .as_deref()
                    .and_then(|t| t.parse::<Timestamp>().ok())
                    .map_or(0, crate::gojson::unix),
                created_by: h.created_by.clone().unwrap_or_default(),
                tags: Vec::new(),
                size,
                comment: h.comment.clone().unwrap_or_default(),
            });
        }
        out.reverse();
        let mut current = Some(id);
        for entry in out.iter_mut() {
            let Some(img) = current.take() else { break };
            entry.tags = self
                .catalog
                .references_of(&img)?
                .into_iter()
                .filter(|r| r.tag().is_some() && r.digest().is_none())
                .map(|r| r.familiar())
                .collect();
            current = self.catalog.image(&img)?.and_then(|r| r.parent);
            entry.id = Some(img);
        }
        Ok(out)
    }
}

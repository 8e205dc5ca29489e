//! What the builder's `--cache-from` needs of the store (moby's `image/cache`): an image
//! from `docker load` (no parent recorded) gets the parent the build found it on, and a step
//! in the middle of a cache-from image becomes an image of its own over the layers the store
//! already has (`restoreCachedImage`).

use std::collections::HashMap;

use super::commit::NewImage;
use super::container_commit::history_entry;
use crate::config::{ContainerConfig, ImageConfig};
use crate::digest::{Digest, ImageId};
use crate::error::{Error, Result};
use crate::gojson::{self, Obj};
use crate::store::ImageStore;

impl ImageStore {
    /// Records `parent` as the parent of `id` (dockerd's `SetParent`).
    pub fn set_parent(&self, id: &ImageId, parent: &ImageId) -> Result<()> {
        let _guard = self.write_lock();
        let mut rec = self
            .catalog
            .image(id)?
            .ok_or_else(|| Error::NotFound(format!("No such image: {id}")))?;
        if rec.parent.as_ref() == Some(parent) {
            return Ok(());
        }
        let mut txn = self.catalog.txn();
        if let Some(old) = &rec.parent {
            txn.remove_child(old, id);
        }
        rec.parent = Some(parent.clone());
        txn.put_image(id, &rec, None, false)?;
        txn.add_child(parent, id);
        txn.commit()
    }

    /// The image of step `parent`'s history length of `target`, on `parent`: `parent`'s
    /// history and layers, the step's history entry and layer from `target`, `config` as
    /// its config, `engine_version` as its `docker_version` (moby's
    /// `restoreCachedImage`). Every layer is in the store already.
    pub fn restore_cached(
        &self,
        parent: Option<&ImageId>,
        target: &ImageId,
        config: &ContainerConfig,
        engine_version: &str,
    ) -> Result<ImageId> {
        let target_cfg = self.details(target)?.config;
        let parent_cfg = match parent {
            Some(p) => self.details(p)?.config,
            None => ImageConfig::default(),
        };
        let mut history = parent_cfg.history.clone().unwrap_or_default();
        let index = history.len();
        let target_history = target_cfg.history.clone().unwrap_or_default();
        let step = target_history
            .get(index)
            .cloned()
            .ok_or_else(|| Error::bad(format!("image {target} has no history entry {index}")))?;
        let mut diff_ids = parent_cfg.diff_ids().to_vec();
        if step.empty_layer != Some(true) {
            let layer = target_history[..index]
                .iter()
                .filter(|h| h.empty_layer != Some(true))
                .count();
            let diff = target_cfg
                .diff_ids()
                .get(layer)
                .cloned()
                .ok_or_else(|| Error::bad(format!("image {target} has no layer {layer}")))?;
            diff_ids.push(diff);
        }
        history.push(step.clone());
        let image = ImageConfig {
            docker_version: Some(engine_version.to_owned()),
            config: Some(config.clone()),
            architecture: target_cfg.architecture.clone(),
            os: target_cfg.os.clone(),
            author: target_cfg.author.clone(),
            created: step.created.clone(),
            ..ImageConfig::default()
        };
        let mut o = gojson::v1_image(&image);
        let ids: Vec<String> = diff_ids.iter().map(ToString::to_string).collect();
        let mut rootfs = Obj::default();
        rootfs
            .str("type", "layers")
            .raw("diff_ids", gojson::str_list(Some(&ids)));
        o.raw("rootfs", rootfs.render());
        let entries: Vec<String> = history.iter().map(history_entry).collect();
        o.raw("history", format!("[{}]", entries.join(",")));
        if let Some(v) = target_cfg.os_version.as_deref().filter(|v| !v.is_empty()) {
            o.str("os.version", v);
        }
        if let Some(f) = target_cfg.os_features.as_ref().filter(|f| !f.is_empty()) {
            o.raw("os.features", gojson::str_list(Some(f)));
        }
        let bytes = o.render();
        let id = Digest::of(bytes.as_bytes());
        let image = NewImage::local(id.clone(), bytes, diff_ids, parent.cloned(), None);
        self.commit_images(&[image], &mut HashMap::new(), &mut |_| {})?;
        Ok(id)
    }
}

//! `docker import`: a one-layer image from a rootfs tar.

use std::collections::HashMap;
use std::io::Read;

use super::commit::NewImage;
use super::platform::go_arch;
use super::types::ImportOptions;
use crate::config::ContainerConfig;
use crate::digest::{Digest, ImageId};
use crate::error::{Error, Result};
use crate::gojson::{self, Obj};
use crate::reference::Reference;
use crate::store::ImageStore;
use jiff::Timestamp;

impl ImageStore {
    /// Creates an image from a (possibly compressed) rootfs tar, with a generated config, and
    /// tags it when `opts.reference` is set. Returns the new image ID. `input` is read as by
    /// [`ImageStore::load`].
    pub fn import(&self, input: &mut dyn Read, opts: &ImportOptions) -> Result<ImageId> {
        let tag = match &opts.reference {
            None => None,
            Some(r) => {
                let r = Reference::parse_normalized(r)?;
                if r.digest().is_some() {
                    return Err(Error::InvalidReference(
                        "cannot import digest reference".to_string(),
                    ));
                }
                Some(r.with_default_tag())
            }
        };
        let container = &opts.config;
        let staged = self.layers.stage(input, None)?;
        let diff_id = staged.applied.diff_id.clone();
        let config = import_config(opts, container, &diff_id, Timestamp::now());
        let id = Digest::of(config.as_bytes());
        let mut pool = HashMap::from([(diff_id.clone(), staged)]);
        let image = NewImage::local(id.clone(), config, vec![diff_id], None, tag);
        self.commit_images(&[image], &mut pool, &mut |_| {})?;
        Ok(id)
    }
}

/// The config Docker 20.10 writes for an import (`image.Image` marshalled by Go).
fn import_config(
    opts: &ImportOptions,
    container: &ContainerConfig,
    diff_id: &Digest,
    now: Timestamp,
) -> String {
    let created = now.to_string();
    let comment = if opts.message.is_empty() {
        "Imported from -".to_string()
    } else {
        opts.message.clone()
    };
    let mut o = Obj::default();
    o.str_omit("comment", Some(&comment))
        .raw("created", gojson::time(Some(&created)))
        .raw(
            "container_config",
            gojson::container_config(&ContainerConfig::default()),
        )
        .str_omit("docker_version", Some(&opts.engine_version))
        .raw("config", gojson::container_config(container))
        .str(
            "architecture",
            opts.architecture.as_deref().unwrap_or(go_arch()),
        )
        .str("os", opts.os.as_deref().unwrap_or("linux"));
    let mut rootfs = Obj::default();
    rootfs.str("type", "layers").raw(
        "diff_ids",
        gojson::str_list(Some(&vec![diff_id.to_string()])),
    );
    o.raw("rootfs", rootfs.render());
    let mut h = Obj::default();
    h.raw("created", gojson::time(Some(&created)))
        .str("comment", &comment);
    o.raw("history", format!("[{}]", h.render()));
    o.render()
}

//! `docker commit`: the container's writable layer becomes an image through the image store's
//! commit path (`graph::ImageStore::commit_container`), with dockerd's config and history.
//!
//! With `pause` (the default) a running container is frozen while its layer is read, and
//! thawed after, as moby's `CreateImageFromContainer` does.

use api::backend::CommitOptions;
use api::types::{ContainerStatus, IdResponse};
use graph::{WritableLayer, config::ContainerConfig};

use crate::containers::{Containers, rootfs};
use crate::error::{Error, IoContext, Result};
use crate::images::Images;
use crate::version::VERSION;

/// The daemon's config type as the image store's (the same JSON).
fn to_graph(c: &api::types::ContainerConfig) -> Result<ContainerConfig> {
    let v = serde_json::to_value(c).with_ctx(|| "converting a container config".to_owned())?;
    serde_json::from_value(v).with_ctx(|| "converting a container config".to_owned())
}

/// The writable layer of the container in `dir`, as the image store commits it.
fn writable_layer(dir: &std::path::Path, driver: &str) -> WritableLayer {
    if driver == "overlay2" {
        WritableLayer::Overlay(rootfs::upper(dir))
    } else {
        WritableLayer::Tree(rootfs::merged(dir))
    }
}

impl Containers {
    /// The writable layer of the container `term` names (a build step commits it).
    pub(crate) fn layer_of(&self, term: &str) -> Result<WritableLayer> {
        let c = self.get(term)?;
        Ok(writable_layer(&c.dir, &c.record().driver))
    }

    /// `POST /commit`: returns the new image's ID.
    pub(crate) async fn commit(&self, images: &Images, opts: CommitOptions) -> Result<IdResponse> {
        let c = self.get(&opts.container)?;
        if c.live().removed {
            return Err(Error::Conflict(format!(
                "You cannot commit container {} which is being removed",
                c.id
            )));
        }
        let rec = c.record();
        let reference = match (opts.repo.as_str(), opts.tag.as_str()) {
            ("", _) => None,
            (repo, "") => Some(repo.to_owned()),
            (repo, tag) => Some(format!("{repo}:{tag}")),
        };
        if let Some(r) = &reference
            && r.contains('@')
        {
            return Err(Error::Invalid("cannot commit to digest reference".into()));
        }
        let layer = writable_layer(&c.dir, &rec.driver);
        let parent = match rec.image_id.as_str() {
            "" => None,
            id => Some(graph::Digest::parse(id)?),
        };
        // dockerd's `BuildFromConfig`: the changes apply to the request's config (else the
        // container's) before it is merged with the container's.
        let container_config = to_graph(&rec.config)?;
        let mut config = match &opts.config {
            Some(c) => to_graph(c)?,
            None => container_config.clone(),
        };
        crate::images::dockerfile::apply_changes(&opts.changes, &mut config)?;
        let options = graph::CommitOptions {
            parent,
            reference,
            author: opts.author,
            comment: opts.comment,
            config: Some(config),
            container_config,
            container_id: rec.id.clone(),
            engine_version: VERSION.into(),
            build_step: false,
        };
        let tagged = options
            .reference
            .as_deref()
            .map(graph::Reference::parse_normalized)
            .transpose()?
            .map(|r| r.with_default_tag().familiar());
        let (comment, events) = (options.comment.clone(), self.inner.events.clone());
        let freeze = opts.pause && c.live().record.state.status == ContainerStatus::Running;
        if freeze {
            self.clone().pause(c.id.clone()).await?;
        }
        let committed = images
            .blocking(move |s| {
                let id = s.commit_container(&layer, &options)?.to_string();
                Ok((id.clone(), crate::images::events::labels(s, &id)))
            })
            .await;
        if freeze && let Err(e) = self.clone().unpause(c.id.clone()).await {
            tracing::warn!(container = %c.id, error = %e, "cannot unpause a committed container");
        }
        let (id, labels) = committed?;
        // moby's `CommitBuildStep` then `ContainerCommit`: the new tag, then the commit.
        let image_ref = tagged.unwrap_or_default();
        if !image_ref.is_empty() {
            events.image(&id, &image_ref, "tag", labels.as_ref());
        }
        let attrs = [
            ("comment", comment),
            ("imageID", id.clone()),
            ("imageRef", image_ref),
        ];
        self.event(&c, "commit", &attrs);
        Ok(IdResponse { id })
    }
}

//! `api::backend::ImageBackend` for the daemon.

use api::backend::{ByteStream, ImageBackend, ImageListOptions, ImportOptions, MessageStream};
use api::types::{
    HistoryResponseItem, ImageDeleteResponseItem, ImageInspect, ImageSummary, JsonMessage,
    ProgressDetail,
};

use super::{Images, bridge, convert, events, filter};
use crate::daemon::Daemon;
use crate::error::Error;
use crate::version::VERSION;

impl ImageBackend for Daemon {
    async fn image_list(&self, opts: ImageListOptions) -> Result<Vec<ImageSummary>, api::Error> {
        let list = self
            .images
            .blocking(move |s| {
                let images = s.list(opts.shared_size)?;
                Ok(filter::apply(s, images, &opts.filters, opts.all))
            })
            .await??;
        Ok(list.into_iter().map(convert::summary).collect())
    }

    async fn image_inspect(&self, name: &str) -> Result<ImageInspect, api::Error> {
        let name = name.to_owned();
        let d = self.images.blocking(move |s| s.inspect(&name)).await?;
        Ok(convert::inspect(d))
    }

    async fn image_history(&self, name: &str) -> Result<Vec<HistoryResponseItem>, api::Error> {
        let name = name.to_owned();
        let h = self.images.blocking(move |s| s.history(&name)).await?;
        Ok(h.into_iter().map(convert::history).collect())
    }

    async fn image_tag(&self, name: &str, repo: &str, tag: Option<&str>) -> Result<(), api::Error> {
        if repo.is_empty() {
            return Err(
                Error::Invalid("repository name must have at least one component".into()).into(),
            );
        }
        let target = match tag {
            Some(t) => format!("{repo}:{t}"),
            None => repo.to_owned(),
        };
        let (name, events) = (name.to_owned(), self.events.clone());
        self.images
            .blocking(move |s| {
                let tagged = s.tag(&name, &target)?;
                // moby's `TagImage`: the image's ID, the new tag as its `name`.
                let id = s.resolve(&tagged.to_string())?.to_string();
                let labels = events::labels(s, &id);
                events.image(&id, &tagged.familiar(), "tag", labels.as_ref());
                Ok(())
            })
            .await?;
        Ok(())
    }

    async fn image_delete(
        &self,
        name: &str,
        force: bool,
        noprune: bool,
    ) -> Result<Vec<ImageDeleteResponseItem>, api::Error> {
        let name = name.to_owned();
        let removed = self
            .images
            .blocking({
                let (users, events) = (self.containers.clone(), self.events.clone());
                move |s| {
                    let before = events::Removal::before(s, &name);
                    let removed = s.remove(&name, force, noprune, &users)?;
                    if let Some(b) = before {
                        b.tell(&events, &removed);
                    }
                    Ok(removed)
                }
            })
            .await?;
        Ok(removed.into_iter().map(convert::removed).collect())
    }

    async fn image_load(&self, body: ByteStream, quiet: bool) -> Result<MessageStream, api::Error> {
        let (tx, stream) = bridge::message_channel();
        let mut input = bridge::reader(body);
        let events = self.events.clone();
        tokio::spawn(self.images.blocking(move |s| {
            let mut progress = |p: graph::LoadProgress| match p {
                graph::LoadProgress::Layer {
                    member,
                    current,
                    total,
                } if !quiet => tx.send(JsonMessage {
                    status: Some("Loading layer".into()),
                    id: Some(member.chars().take(12).collect()),
                    progress_detail: Some(ProgressDetail { current, total }),
                    ..JsonMessage::default()
                }),
                graph::LoadProgress::TagMoved { reference, old_id } => {
                    tx.send(JsonMessage::stream(format!(
                        "The image {reference} already exists, renaming the old one with ID \
                         {old_id} to empty string\n"
                    )))
                }
                graph::LoadProgress::Layer { .. } => {}
            };
            match s.load(&mut input, &mut progress) {
                Ok(loaded) => {
                    for image in &loaded {
                        events::by_id(&events, s, &image.id, "load");
                    }
                    for image in loaded {
                        if image.tags.is_empty() {
                            tx.send(JsonMessage::stream(format!(
                                "Loaded image ID: {}\n",
                                image.id
                            )));
                        }
                        for tag in image.tags {
                            tx.send(JsonMessage::stream(format!(
                                "Loaded image: {}\n",
                                tag.familiar()
                            )));
                        }
                    }
                }
                Err(e) => tx.send(JsonMessage::error(e.to_string())),
            }
            Ok(())
        }));
        Ok(stream)
    }

    async fn image_save(&self, names: Vec<String>) -> Result<ByteStream, api::Error> {
        if names.is_empty() {
            return Err(Error::Invalid("no image names given".into()).into());
        }
        // Unknown names fail now, with a status, before the first byte of the tar.
        let check = names.clone();
        self.images
            .blocking(move |s| check.iter().try_for_each(|n| s.resolve(n).map(drop)))
            .await?;
        let (mut out, stream) = bridge::byte_channel();
        let events = self.events.clone();
        tokio::spawn(self.images.blocking(move |s| {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            match s.save(&refs, &mut out) {
                Ok(()) => {
                    let _ = std::io::Write::flush(&mut out);
                    // One `save` per image written, as moby's `saveSession`.
                    let mut told = std::collections::HashSet::new();
                    for id in refs.iter().filter_map(|n| s.resolve(n).ok()) {
                        if told.insert(id.clone()) {
                            events::by_id(&events, s, &id, "save");
                        }
                    }
                }
                Err(e) => out.fail(std::io::Error::other(e.to_string())),
            }
            Ok(())
        }));
        Ok(stream)
    }

    async fn image_import(
        &self,
        body: ByteStream,
        opts: ImportOptions,
    ) -> Result<MessageStream, api::Error> {
        let reference = match (opts.repo, opts.tag) {
            (Some(repo), Some(tag)) => Some(format!("{repo}:{tag}")),
            (repo, _) => repo,
        };
        let mut options = graph::ImportOptions {
            reference,
            message: opts.message.unwrap_or_default(),
            config: graph::config::ContainerConfig::default(),
            engine_version: VERSION.into(),
            architecture: None,
            os: None,
        };
        let (tx, stream) = bridge::message_channel();
        let mut input = bridge::reader(body);
        let events = self.events.clone();
        let changes = opts.changes;
        tokio::spawn(self.images.blocking(move |s| {
            // The changes are refused in the stream, before anything is read, as before.
            let imported = super::dockerfile::apply_changes(&changes, &mut options.config)
                .map_err(|e| e.to_string())
                .and_then(|()| s.import(&mut input, &options).map_err(|e| e.to_string()));
            match imported {
                Ok(id) => {
                    events::by_id(&events, s, &id, "import");
                    tx.send(JsonMessage::status(id.to_string()));
                }
                Err(e) => tx.send(JsonMessage::error(e)),
            }
            Ok(())
        }));
        Ok(stream)
    }
}

impl Images {
    /// The image `name` names (reference, ID or unique prefix) with its config and layer
    /// directories, for creating containers; 404 `No such image: x` when there is none.
    pub(crate) async fn details(&self, name: &str) -> Result<graph::ImageDetails, Error> {
        let name = name.to_owned();
        self.blocking(move |s| s.inspect(&name)).await
    }
}

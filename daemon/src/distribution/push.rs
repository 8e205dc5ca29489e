//! `docker push`: for each tag, the layers (top first, as dockerd lists them) are checked,
//! mounted or uploaded — each as a gzip of its exact tar, compressed while it streams out —
//! then the config and the manifest; the manifest's digest is recorded as a repository
//! digest, and the blobs' digests as distribution metadata, so a later push says "Layer
//! already exists" or mounts the blob from another repository of the same registry.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::backend::{MessageStream, PushOptions};
use api::types::JsonMessage;
use bytes::Bytes;
use distribution::manifest::media;
use distribution::{Descriptor, ImageManifest, Mount, Repository, Session};
use graph::{BlobSource, PushLayer, PushPlan, Reference};
use tokio::task::JoinSet;

use super::progress::{counting, layer, short_id};
use super::{Registry, credentials};
use crate::error::{Error, Result};
use crate::events::Events;
use crate::images::Images;
use crate::images::bridge::{self, Messages};

/// How often a layer's counters are sent, at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Registry {
    /// `POST /images/{name}/push`: finds the tags to push and opens a session with the
    /// registry (failures are the answer's status), then pushes in a task of its own.
    pub(crate) async fn push(
        &self,
        images: &Images,
        events: &Events,
        opts: PushOptions,
    ) -> Result<MessageStream> {
        let named = Reference::parse_normalized(&opts.name)?;
        // moby's `PushImage`: the reference as asked (with `tag` if given) is the event's actor.
        let asked = match opts.tag.as_deref() {
            Some(t) => named.clone().with_tag(t)?.familiar(),
            None => named.familiar(),
        };
        let tags = match opts.tag.as_deref() {
            Some(t) => vec![named.clone().with_tag(t)?],
            None if named.tag().is_some() => vec![named.clone()],
            None => {
                let repo = named.clone();
                images
                    .blocking(move |s| s.repository_tags(&repo))
                    .await?
                    .into_iter()
                    .map(|(r, _)| r)
                    .collect()
            }
        };
        let missing = |r: &Reference| {
            Error::NotFound(format!(
                "An image does not exist locally with the tag: {}",
                r.familiar_name()
            ))
        };
        if tags.is_empty() {
            return Err(missing(&named));
        }
        let mut plans = Vec::with_capacity(tags.len());
        for tag in tags {
            let name = tag.to_string();
            let plan = images
                .blocking(move |s| s.push_plan(&name))
                .await
                .map_err(|_| missing(&tag))?;
            plans.push((tag, plan));
        }
        let repository = Repository::new(named.domain(), named.path());
        let session = self
            .client
            .push_session(&repository, &credentials(opts.auth))
            .await?;
        let (tx, stream) = bridge::unbounded_message_channel();
        let job = PushJob {
            registry: self.clone(),
            images: images.clone(),
            events: events.clone(),
            asked,
            session,
            named,
            tx,
        };
        tokio::spawn(job.run(plans));
        Ok(stream)
    }
}

/// One push, its session open.
struct PushJob {
    registry: Registry,
    images: Images,
    /// Where the `push` event goes.
    events: Events,
    /// The reference as asked, familiar (the event's actor).
    asked: String,
    session: Session,
    named: Reference,
    tx: Messages,
}

impl PushJob {
    async fn run(self, plans: Vec<(Reference, PushPlan)>) {
        let job = Arc::new(self);
        job.tx.send(JsonMessage::status(format!(
            "The push refers to repository [{}]",
            job.named.familiar_name()
        )));
        for (tag, plan) in plans {
            if let Err(e) = Arc::clone(&job).push_tag(&tag, plan).await {
                job.tx.send(JsonMessage::error(e.to_string()));
                return;
            }
        }
        let labels = job.images.labels_of(job.asked.clone()).await;
        let repository = job.named.familiar_name();
        job.events
            .image(&job.asked, &repository, "push", labels.as_ref());
    }

    /// One tag: the layers, the config, the manifest.
    async fn push_tag(self: Arc<Self>, tag: &Reference, plan: PushPlan) -> Result<()> {
        // dockerd lists (and starts) the layers from the top down.
        for l in plan.layers.iter().rev() {
            self.tx
                .send(layer("Preparing", &short_id(l.diff_id.as_str())));
        }
        let mut uploads = JoinSet::new();
        for (i, l) in plan.layers.iter().enumerate().rev() {
            let job = Arc::clone(&self);
            let l = l.clone();
            uploads.spawn(async move { job.push_layer(l).await.map(|d| (i, d)) });
        }
        let mut layers: Vec<Option<Descriptor>> = vec![None; plan.layers.len()];
        while let Some(done) = uploads.join_next().await {
            match done {
                Ok(Ok((i, d))) => layers[i] = Some(d),
                Ok(Err(e)) => {
                    uploads.abort_all();
                    return Err(e);
                }
                Err(source) => {
                    uploads.abort_all();
                    return Err(Error::Task {
                        what: "layer upload",
                        source,
                    });
                }
            }
        }
        let layers: Vec<Descriptor> = layers.into_iter().flatten().collect();

        let config_digest = distribution::Digest::sha256(&plan.config);
        let config = Descriptor::new(
            media::DOCKER_CONFIG,
            plan.config.len() as u64,
            config_digest.clone(),
        );
        if self.session.blob_exists(&config_digest).await?.is_none() {
            let bytes = Bytes::from(plan.config.clone());
            let body = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
            self.session
                .upload_blob(body, Some(&config_digest), None)
                .await?;
        }
        let manifest = ImageManifest::docker_schema2(config, layers);
        let size = manifest.to_bytes().len();
        let reference = tag.tag().unwrap_or("latest");
        let digest = self.session.put_manifest(reference, &manifest).await?;
        let digest_ref = Reference::parse_normalized(&format!("{}@{}", self.named.name(), digest))?;
        let id = plan.id.clone();
        self.images
            .blocking(move |s| s.add_digest_reference(&digest_ref, &id))
            .await?;
        self.tx.send(JsonMessage::status(format!(
            "{reference}: digest: {digest} size: {size}"
        )));
        self.tx.send(JsonMessage {
            aux: Some(serde_json::json!({
                "Tag": reference,
                "Digest": digest.as_str(),
                "Size": size,
            })),
            ..JsonMessage::default()
        });
        Ok(())
    }

    /// One layer: already there, mounted from another repository of the registry, or
    /// uploaded. Its descriptor for the manifest.
    async fn push_layer(&self, l: PushLayer) -> Result<Descriptor> {
        let id = short_id(l.diff_id.as_str());
        let permit = match Arc::clone(&self.registry.uploads).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                self.tx.send(layer("Waiting", &id));
                Arc::clone(&self.registry.uploads)
                    .acquire_owned()
                    .await
                    .map_err(|_| Error::System("the upload limit was closed".into()))?
            }
        };
        let here = self.named.name();
        let domain = self.named.domain().to_owned();
        let mut start = None;
        // The same repository first, then another one of the same registry (dockerd's
        // `layerAlreadyExists`, then its mount candidates).
        let mut known: Vec<&BlobSource> = l.known_blobs.iter().collect();
        known.sort_by_key(|b| b.repository != here);
        for b in known {
            let digest: distribution::Digest = b.digest.as_str().parse()?;
            if b.repository == here {
                if let Some(size) = self.session.blob_exists(&digest).await? {
                    self.tx.send(layer("Layer already exists", &id));
                    return Ok(Descriptor::new(media::DOCKER_LAYER, size, digest));
                }
                continue;
            }
            let Ok(from) = Reference::parse_normalized(&b.repository) else {
                continue;
            };
            if from.domain() != domain {
                continue;
            }
            let from_repo = Repository::new(from.domain(), from.path());
            match self.session.mount_blob(&digest, &from_repo).await {
                Ok(Mount::Mounted) => {
                    let size = self.session.blob_exists(&digest).await?.unwrap_or(0);
                    self.record(&l, &digest).await?;
                    // moby names the repository as the registry knows it: its path.
                    self.tx
                        .send(layer(&format!("Mounted from {}", from.path()), &id));
                    return Ok(Descriptor::new(media::DOCKER_LAYER, size, digest));
                }
                Ok(Mount::Upload(s)) => {
                    start = Some(s);
                    break;
                }
                Err(e) => tracing::debug!(error = %e, "cross-repository mount refused"),
            }
        }

        let body = self.compressed_tar(&l, &id);
        let uploaded = self.session.upload_blob(body, None, start).await?;
        drop(permit);
        self.record(&l, &uploaded.digest).await?;
        self.tx.send(layer("Pushed", &id));
        Ok(Descriptor::new(
            media::DOCKER_LAYER,
            uploaded.size,
            uploaded.digest,
        ))
    }

    /// The layer's exact tar, gzip-compressed on the blocking pool as it is read, counted for
    /// the `Pushing` lines (against the tar's size, as dockerd counts).
    fn compressed_tar(
        &self,
        l: &PushLayer,
        id: &str,
    ) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
        let (writer, stream) = bridge::byte_channel();
        let chain = l.chain_id.clone();
        let (tx, id, total) = (self.tx.clone(), id.to_owned(), l.tar_size);
        let images = self.images.clone();
        tokio::spawn(images.blocking(move |s| {
            let mut writer = writer;
            let written = (|| {
                let mut out = Counting {
                    inner: flate2::write::GzEncoder::new(
                        &mut writer,
                        flate2::Compression::default(),
                    ),
                    done: 0,
                    last: None,
                    tx,
                    id,
                    total,
                };
                s.write_layer_tar(&chain, &mut out)?;
                out.inner
                    .finish()
                    .map(drop)
                    .map_err(|source| graph::Error::Io {
                        context: "compressing the layer".into(),
                        source,
                    })
            })();
            match written {
                // The upload must fail, never end short as if the layer were whole.
                Err(e) => {
                    writer.fail(std::io::Error::other(e.to_string()));
                    Err(e)
                }
                Ok(()) => writer.flush().map_err(|source| graph::Error::Io {
                    context: "sending the layer".into(),
                    source,
                }),
            }
        }));
        stream
    }

    /// Remembers that the layer is `digest` in this repository.
    async fn record(&self, l: &PushLayer, digest: &distribution::Digest) -> Result<()> {
        let source = BlobSource::new(graph::Digest::parse(digest.as_str())?, &self.named);
        let diff_id = l.diff_id.clone();
        self.images
            .blocking(move |s| s.record_pushed(&diff_id, &source))
            .await
    }
}

/// A `Write` that counts what passes for the `Pushing` lines.
struct Counting<W: Write> {
    inner: W,
    done: u64,
    last: Option<Instant>,
    tx: Messages,
    id: String,
    total: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.done += n as u64;
        if self.last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            self.last = Some(Instant::now());
            self.tx
                .send(counting("Pushing", &self.id, self.done, self.total));
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

//! `docker pull`: resolve, then stream dockerd's progress lines while every missing layer
//! downloads, verifies and extracts at once (each as it streams in: the blob stream feeds the
//! image store's extraction directly), then commit the image in one step.
//!
//! dockerd downloads up to three layers at once but extracts them one after the other, after
//! their download. Here a layer's extraction runs beside its download, and layers of an
//! overlay2 store extract side by side (the store says which layers must wait, for vfs); the
//! `--max-concurrent-downloads` permits bound only the downloads, so the next download starts
//! as soon as one has arrived, while its extraction finishes.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use api::backend::{MessageStream, PullOptions};
use api::types::JsonMessage;
use bytes::Bytes;
use distribution::{BlobKind, BlobStream, Descriptor, ImageRef, PlatformSpec, Repository};
use futures::Stream;
use graph::{BlobSource, LayerProgress, Pull, Reference};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinSet;

use super::progress::{counting, layer, short_id, status_of};
use super::{Registry, credentials};
use crate::error::{Error, Result};
use crate::events::Events;
use crate::images::Images;
use crate::images::bridge::{self, Messages};

/// How often a layer's counters are sent, at most (dockerd's progress reader: 100 ms).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What a pull names: the reference it stores the image under, and what it asks the registry.
struct Target {
    /// `docker.io/library/busybox:latest`, or `…@sha256:…` for a pull by digest.
    local: Reference,
    /// The same, as the registry client takes it.
    remote: ImageRef,
}

impl Target {
    /// A reference with a tag or a digest.
    fn of(local: Reference) -> Result<Target> {
        let remote = remote_of(&local)?;
        Ok(Target { local, remote })
    }
}

/// moby's `PullImage`: `fromImage` normalised, then `tag` as a tag or, if it is one, a digest;
/// with neither, every tag of the repository (`docker pull --all-tags`, `None` here).
fn parse(opts: &PullOptions) -> Result<(Reference, Option<Target>)> {
    let named = Reference::parse_normalized(&opts.image)?;
    let local = match opts.tag.as_deref() {
        Some(t) if t.contains(':') => {
            Reference::parse_normalized(&format!("{}@{t}", named.name()))?
        }
        Some(t) => named.clone().with_tag(t)?,
        None if !named.is_name_only() => named.clone(),
        None => return Ok((named, None)),
    };
    Ok((named, Some(Target::of(local)?)))
}

/// A local reference as the registry client names it (`latest` when it has no tag).
pub(super) fn remote_of(local: &Reference) -> Result<ImageRef> {
    let repository = Repository::new(local.domain(), local.path());
    Ok(match (local.digest(), local.tag()) {
        (Some(d), _) => ImageRef::digested(repository, d.as_str().parse()?),
        (None, Some(t)) => ImageRef::tagged(repository, t),
        (None, None) => ImageRef::tagged(repository, "latest"),
    })
}

impl Registry {
    /// `POST /images/create?fromImage=`: resolves the reference (failures are the answer's
    /// status), then pulls in a task of its own, so a client that goes away does not cut the
    /// pull in half.
    pub(crate) async fn pull(
        &self,
        images: &Images,
        events: &Events,
        opts: PullOptions,
    ) -> Result<MessageStream> {
        let (named, one) = parse(&opts)?;
        let platform = match opts.platform.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => p.parse::<PlatformSpec>()?,
            None => PlatformSpec::host(),
        };
        let creds = credentials(opts.auth);
        // What is pulled is known before the answer starts: the one reference resolved, or
        // the repository's tags listed (each tag is resolved as its turn comes).
        let (shown, targets) = match one {
            Some(target) => {
                let resolved = self
                    .client
                    .resolve(&target.remote, &creds, &platform)
                    .await
                    .map_err(|e| distribution::translate_pull_error(e, &target.remote))?;
                (target.remote.familiar(), vec![(target, Some(resolved))])
            }
            None => {
                let tags = self.client.tags(&remote_of(&named)?, &creds).await?;
                let targets = tags
                    .iter()
                    .map(|t| Ok((Target::of(named.clone().with_tag(t)?)?, None)))
                    .collect::<Result<Vec<_>>>()?;
                (named.familiar_name(), targets)
            }
        };
        let (tx, stream) = bridge::unbounded_message_channel();
        let job = Job {
            registry: self.clone(),
            images: images.clone(),
            events: events.clone(),
            repository: named.familiar_name(),
            creds,
            platform,
            tx,
        };
        tokio::spawn(job.run(shown, targets));
        Ok(stream)
    }
}

/// One pull: one reference, or every tag of a repository in turn.
struct Job {
    registry: Registry,
    images: Images,
    /// Where the `pull` event goes.
    events: Events,
    /// The repository pulled from, familiar (the event's `name`).
    repository: String,
    creds: distribution::Credentials,
    platform: PlatformSpec,
    tx: Messages,
}

impl Job {
    /// Pulls each target, then says whether anything was new under `shown` (the reference,
    /// or the repository for every tag), as dockerd's `writeStatus`.
    async fn run(self, shown: String, targets: Vec<(Target, Option<distribution::Resolved>)>) {
        let mut updated = false;
        for (target, resolved) in targets {
            let pulled = async {
                let resolved = match resolved {
                    Some(r) => r,
                    None => self
                        .registry
                        .client
                        .resolve(&target.remote, &self.creds, &self.platform)
                        .await
                        .map_err(|e| distribution::translate_pull_error(e, &target.remote))?,
                };
                self.pull(&target, &resolved).await
            };
            match pulled.await {
                Ok(u) => updated |= u,
                Err(e) => {
                    self.tx.send(JsonMessage::error(e.to_string()));
                    return;
                }
            }
        }
        // moby's `Pull`: the reference as asked is the actor, its repository the `name`.
        let labels = self.images.labels_of(shown.clone()).await;
        self.events
            .image(&shown, &self.repository, "pull", labels.as_ref());
        self.tx.send(JsonMessage::status(if updated {
            format!("Status: Downloaded newer image for {shown}")
        } else {
            format!("Status: Image is up to date for {shown}")
        }));
    }

    /// One reference: its layers, then its commit. Whether the reference now names an image
    /// it did not name before.
    async fn pull(&self, target: &Target, resolved: &distribution::Resolved) -> Result<bool> {
        let remote = &target.remote;
        self.tx.send(status_of(
            &format!("Pulling from {}", remote.repository.path()),
            remote.manifest_reference(),
        ));
        let session = &resolved.session;
        let manifest = &resolved.manifest;
        let config = session
            .config(&manifest.config)
            .await
            .map_err(|e| distribution::translate_pull_error(e, remote))?;
        let pull = Arc::new(self.images.begin_pull(config.to_vec()).await?);
        if pull.diff_ids().len() != manifest.layers.len() {
            return Err(Error::Invalid(format!(
                "the image config of {} names {} layers, its manifest {}",
                remote.familiar(),
                pull.diff_ids().len(),
                manifest.layers.len()
            )));
        }
        for (i, d) in manifest.layers.iter().enumerate() {
            let status = if pull.is_stored(i) {
                "Already exists"
            } else {
                "Pulling fs layer"
            };
            self.tx.send(layer(status, &short_id(d.digest.as_str())));
        }

        let mut layers = JoinSet::new();
        for i in pull.missing() {
            let fetch = Fetch {
                index: i,
                descriptor: manifest.layers[i].clone(),
                session: session.clone(),
                pull: Arc::clone(&pull),
                registry: self.registry.clone(),
                tx: self.tx.clone(),
            };
            layers.spawn(fetch.run());
        }
        while let Some(done) = layers.join_next().await {
            let failed = match done {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(source) => Some(Error::Task {
                    what: "layer download",
                    source,
                }),
            };
            if let Some(e) = failed {
                // Nothing of the pull is kept: vfs layers waiting for a parent give up, the
                // other downloads stop, and dropping the pull removes what was staged.
                pull.cancel();
                layers.abort_all();
                while layers.join_next().await.is_some() {}
                return Err(e);
            }
        }

        let pull = Arc::into_inner(pull).ok_or_else(|| {
            Error::System("a layer download still holds the pull after it ended".into())
        })?;
        let blobs: Vec<BlobSource> = manifest
            .layers
            .iter()
            .map(|d| {
                let digest = graph::Digest::parse(d.digest.as_str())?;
                Ok(BlobSource::new(digest, &target.local))
            })
            .collect::<Result<_>>()?;
        let digest_ref = match remote.target {
            distribution::Target::Tag(_) => Some(Reference::parse_normalized(&format!(
                "{}@{}",
                target.local.name(),
                resolved.digest
            ))?),
            distribution::Target::Digest(..) => None,
        };
        let tags = vec![target.local.clone()];
        let pulled = self
            .images
            .commit_pull(pull, tags, digest_ref, blobs)
            .await?;
        self.tx
            .send(JsonMessage::status(format!("Digest: {}", resolved.digest)));
        Ok(pulled.updated)
    }
}

/// One layer's download and extraction.
struct Fetch {
    index: usize,
    descriptor: Descriptor,
    session: distribution::Session,
    pull: Arc<Pull>,
    registry: Registry,
    tx: Messages,
}

impl Fetch {
    async fn run(self) -> Result<()> {
        let id = short_id(self.descriptor.digest.as_str());
        let permit = match Arc::clone(&self.registry.downloads).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                self.tx.send(layer("Waiting", &id));
                Arc::clone(&self.registry.downloads)
                    .acquire_owned()
                    .await
                    .map_err(|_| Error::System("the download limit was closed".into()))?
            }
        };
        let blob = self.session.blob(&self.descriptor, BlobKind::Layer).await?;
        let total = blob.total().unwrap_or(self.descriptor.size);
        let downloaded = Arc::new(AtomicBool::new(false));
        let body = Downloading {
            blob,
            id: id.clone(),
            total,
            tx: self.tx.clone(),
            last: None,
            permit: Some(permit),
            downloaded: Arc::clone(&downloaded),
        };
        let mut reader = bridge::reader(Box::pin(body));
        let (pull, tx, index) = (Arc::clone(&self.pull), self.tx.clone(), self.index);
        let staged = tokio::task::spawn_blocking(move || {
            let mut last: Option<Instant> = None;
            let mut extracting = |done: u64| {
                if last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                    last = Some(Instant::now());
                    tx.send(counting("Extracting", &id, done.min(total), total));
                }
            };
            let staged = pull.stage_layer(index, &mut reader, &mut |p| match p {
                // With overlay2 the layer extracts as it arrives: once the download is
                // complete, what is still being read is extraction.
                LayerProgress::Read(n) if downloaded.load(Ordering::Relaxed) => extracting(n),
                LayerProgress::Read(_) => {}
                LayerProgress::WaitingForParent => tx.send(layer("Waiting", &id)),
                LayerProgress::Extracted(n) => extracting(n),
            });
            if staged.is_ok() {
                tx.send(counting("Extracting", &id, total, total));
                tx.send(layer("Pull complete", &id));
            }
            staged
        })
        .await
        .map_err(|source| Error::Task {
            what: "layer extraction",
            source,
        })?;
        staged.map_err(Error::from)
    }
}

/// A layer's blob on its way to the extraction: counted for the `Downloading` lines, its
/// download permit given back and `Verifying Checksum` / `Download complete` said as soon as
/// it ends verified (the extraction may still be reading behind it).
struct Downloading {
    blob: BlobStream,
    id: String,
    total: u64,
    tx: Messages,
    last: Option<Instant>,
    permit: Option<OwnedSemaphorePermit>,
    downloaded: Arc<AtomicBool>,
}

impl Stream for Downloading {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.blob).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                crate::metrics::pulled_bytes(chunk.len());
                if this.last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                    this.last = Some(Instant::now());
                    this.tx.send(counting(
                        "Downloading",
                        &this.id,
                        this.blob.received(),
                        this.total,
                    ));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.permit = None;
                Poll::Ready(Some(Err(std::io::Error::other(e))))
            }
            Poll::Ready(None) => {
                if this.permit.take().is_some() {
                    this.tx.send(layer("Verifying Checksum", &this.id));
                    this.tx.send(layer("Download complete", &this.id));
                    this.downloaded.store(true, Ordering::Relaxed);
                }
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

//! The traits the router calls; the daemon implements them (moby's `router/*/backend.go`).

mod build;
mod container;
mod container_files;
mod container_ops;
mod distribution;
mod events;
mod exec;
mod prune;

pub use build::*;
pub use container::*;
pub use container_files::*;
pub use container_ops::*;
pub use distribution::*;
pub use events::*;
pub use exec::*;
pub use prune::*;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

use crate::Error;
use crate::filters::Filters;
use crate::types::{
    HistoryResponseItem, ImageDeleteResponseItem, ImageInspect, ImageSummary, JsonMessage, Network,
    SystemInfo, SystemVersion, Volume, VolumeCreateOptions,
};

/// Everything the API needs from the daemon.
pub trait Backend:
    SystemBackend
    + NetworkBackend
    + ImageBackend
    + ContainerBackend
    + VolumeBackend
    + DistributionBackend
    + EventsBackend
    + PruneBackend
    + ContainerFilesBackend
    + ContainerOpsBackend
    + ExecBackend
    + BuildBackend
    + Send
    + Sync
    + 'static
{
}

impl<T> Backend for T where
    T: SystemBackend
        + NetworkBackend
        + ImageBackend
        + ContainerBackend
        + VolumeBackend
        + DistributionBackend
        + EventsBackend
        + PruneBackend
        + ContainerFilesBackend
        + ContainerOpsBackend
        + ExecBackend
        + BuildBackend
        + Send
        + Sync
        + 'static
{
}

/// A request body as it arrives, chunk by chunk.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Progress of a long operation, sent to the client line by line as it happens.
pub type MessageStream = Pin<Box<dyn Stream<Item = JsonMessage> + Send>>;

/// `/_ping`, `/version`, `/info`.
pub trait SystemBackend {
    /// The daemon's version and its components.
    fn version(&self) -> SystemVersion;

    /// The daemon's state and the host's facts, gathered now.
    fn info(&self) -> impl Future<Output = Result<SystemInfo, Error>> + Send;
}

/// `/networks`.
pub trait NetworkBackend {
    /// `GET /networks`: the networks `filters` selects. The router has checked the keys
    /// (`dangling`, `driver`, `id`, `label`, `name`, `scope`, `type`); the values are the
    /// daemon's to judge.
    fn network_list(
        &self,
        filters: Filters,
    ) -> impl Future<Output = Result<Vec<Network>, Error>> + Send;

    /// `GET /networks/{id}`: `term` is an exact name, a full ID or a unique ID prefix.
    fn network_inspect(&self, term: &str) -> impl Future<Output = Result<Network, Error>> + Send;

    /// `POST /networks/create`.
    fn network_create(
        &self,
        req: crate::types::NetworkCreateRequest,
    ) -> impl Future<Output = Result<crate::types::NetworkCreateResponse, Error>> + Send;

    /// `DELETE /networks/{id}`: `term` as for inspect.
    fn network_delete(&self, term: &str) -> impl Future<Output = Result<(), Error>> + Send;

    /// `POST /networks/{id}/connect`.
    fn network_connect(
        &self,
        term: &str,
        req: crate::types::NetworkConnectRequest,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `POST /networks/{id}/disconnect`.
    fn network_disconnect(
        &self,
        term: &str,
        req: crate::types::NetworkDisconnectRequest,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// What `GET /images/json` asks for.
#[derive(Debug, Clone, Default)]
pub struct ImageListOptions {
    /// Include intermediate images.
    pub all: bool,
    /// Include digests.
    pub digests: bool,
    /// Compute `SharedSize`.
    pub shared_size: bool,
    /// `dangling`, `reference`, `label`, `before`, `since`, `until`.
    pub filters: Filters,
}

/// What `POST /images/create?fromSrc=-` asks for.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `repo` (may include a tag).
    pub repo: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
    /// The history comment.
    pub message: Option<String>,
    /// Dockerfile instructions applied to the config (`CMD ["sh"]`, `ENV A=b`, ...).
    pub changes: Vec<String>,
}

/// `/images`.
pub trait ImageBackend {
    /// `GET /images/json`.
    fn image_list(
        &self,
        opts: ImageListOptions,
    ) -> impl Future<Output = Result<Vec<ImageSummary>, Error>> + Send;

    /// `GET /images/{name}/json`.
    fn image_inspect(&self, name: &str)
    -> impl Future<Output = Result<ImageInspect, Error>> + Send;

    /// `GET /images/{name}/history`.
    fn image_history(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<HistoryResponseItem>, Error>> + Send;

    /// `POST /images/{name}/tag`.
    fn image_tag(
        &self,
        name: &str,
        repo: &str,
        tag: Option<&str>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `DELETE /images/{name}`.
    fn image_delete(
        &self,
        name: &str,
        force: bool,
        noprune: bool,
    ) -> impl Future<Output = Result<Vec<ImageDeleteResponseItem>, Error>> + Send;

    /// `POST /images/load`: progress and result lines; failures after the start are in-band.
    fn image_load(
        &self,
        body: ByteStream,
        quiet: bool,
    ) -> impl Future<Output = Result<MessageStream, Error>> + Send;

    /// `GET /images/get` and `GET /images/{name}/get`: a docker-archive tar. Unknown names fail
    /// before the first byte.
    fn image_save(
        &self,
        names: Vec<String>,
    ) -> impl Future<Output = Result<ByteStream, Error>> + Send;

    /// `POST /images/create?fromSrc=-`: the last status line is the new image's ID.
    fn image_import(
        &self,
        body: ByteStream,
        opts: ImportOptions,
    ) -> impl Future<Output = Result<MessageStream, Error>> + Send;
}

/// `/volumes`.
pub trait VolumeBackend {
    /// `POST /volumes/create`: creates the volume, or returns the existing one of that name.
    fn volume_create(
        &self,
        opts: VolumeCreateOptions,
    ) -> impl Future<Output = Result<Volume, Error>> + Send;

    /// `GET /volumes`: the volumes `filters` selects. The router has checked the keys
    /// (`dangling`, `driver`, `label`, `name`); the values are the daemon's to judge.
    fn volume_list(
        &self,
        filters: Filters,
    ) -> impl Future<Output = Result<Vec<Volume>, Error>> + Send;

    /// `GET /volumes/{name}`.
    fn volume_inspect(&self, name: &str) -> impl Future<Output = Result<Volume, Error>> + Send;

    /// `DELETE /volumes/{name}`: refused while a container references the volume; `force`
    /// makes an unknown name a success.
    fn volume_delete(
        &self,
        name: &str,
        force: bool,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

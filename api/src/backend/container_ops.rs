//! What the everyday container commands beyond the lifecycle need from the daemon: pause,
//! unpause, rename, top, stats and update (moby's `stateBackend` and `monitorBackend`).

use std::future::Future;
use std::pin::Pin;

use futures::Stream;

use crate::Error;
use crate::stats::ContainerStats;
use crate::types::{ContainerTopResponse, ContainerUpdateRequest, ContainerUpdateResponse};

/// What `GET /containers/{id}/stats` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsOptions {
    /// One sample a second until the client goes away (`stream`, true by default).
    pub stream: bool,
    /// Without `stream`: the first sample at once, without a previous one (`one-shot`).
    pub one_shot: bool,
}

/// The samples of `GET /containers/{id}/stats`, each sent as one JSON line.
pub type StatsStream = Pin<Box<dyn Stream<Item = ContainerStats> + Send>>;

/// `pause`, `unpause`, `rename`, `top`, `stats`, `update`.
pub trait ContainerOpsBackend {
    /// `POST /containers/{id}/pause`: freezes its processes.
    fn container_pause(&self, id: &str) -> impl Future<Output = Result<(), Error>> + Send;

    /// `POST /containers/{id}/unpause`: thaws them.
    fn container_unpause(&self, id: &str) -> impl Future<Output = Result<(), Error>> + Send;

    /// `POST /containers/{id}/rename?name=`: `name` as the client sent it (maybe empty).
    fn container_rename(
        &self,
        id: &str,
        name: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `GET /containers/{id}/top?ps_args=`: `ps` with `ps_args` (empty: `-ef`), the rows of
    /// the container's processes.
    fn container_top(
        &self,
        id: &str,
        ps_args: &str,
    ) -> impl Future<Output = Result<ContainerTopResponse, Error>> + Send;

    /// `GET /containers/{id}/stats`: the samples to send; the router has refused `stream`
    /// with `one-shot`.
    fn container_stats(
        &self,
        id: &str,
        opts: StatsOptions,
    ) -> impl Future<Output = Result<StatsStream, Error>> + Send;

    /// `POST /containers/{id}/update`: new limits (applied at once to a running container)
    /// and restart policy, recorded for inspect.
    fn container_update(
        &self,
        id: &str,
        req: ContainerUpdateRequest,
    ) -> impl Future<Output = Result<ContainerUpdateResponse, Error>> + Send;
}

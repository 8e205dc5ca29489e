//! What the prune routes and `GET /system/df` need from the daemon. The router has checked the
//! filter keys each prune accepts (moby's); the values are the daemon's to judge.

use std::future::Future;

use crate::Error;
use crate::filters::Filters;
use crate::types::{
    BuildPruneResponse, ContainerPruneResponse, ImagePruneResponse, NetworkPruneResponse,
    SystemDataUsageResponse, VolumePruneResponse,
};

/// Pruning unused objects, and the disk space objects use.
pub trait PruneBackend {
    /// `POST /containers/prune`: removes the containers that do not run (`until`, `label`,
    /// `label!`).
    fn container_prune(
        &self,
        filters: Filters,
    ) -> impl Future<Output = Result<ContainerPruneResponse, Error>> + Send;

    /// `POST /images/prune`: removes the dangling images, or with `dangling=false` every
    /// image no container uses (`until`, `label`, `label!`).
    fn image_prune(
        &self,
        filters: Filters,
    ) -> impl Future<Output = Result<ImagePruneResponse, Error>> + Send;

    /// `POST /volumes/prune`: removes the volumes no container uses, anonymous ones only
    /// unless `all` is true (`label`, `label!`, `all`). `every_volume`: the client's API is
    /// below 1.42, where every volume counts (moby adds `all=true` for it).
    fn volume_prune(
        &self,
        filters: Filters,
        every_volume: bool,
    ) -> impl Future<Output = Result<VolumePruneResponse, Error>> + Send;

    /// `POST /networks/prune`: removes the user networks no container uses (`until`,
    /// `label`, `label!`).
    fn network_prune(
        &self,
        filters: Filters,
    ) -> impl Future<Output = Result<NetworkPruneResponse, Error>> + Send;

    /// `POST /build/prune`: removes the build cache `filters` select; with `keep_storage`,
    /// only its oldest, until it holds at most that many bytes.
    fn build_prune(
        &self,
        filters: Filters,
        keep_storage: Option<u64>,
    ) -> impl Future<Output = Result<BuildPruneResponse, Error>> + Send;

    /// `GET /system/df`: images, containers and volumes with their sizes.
    fn system_df(&self) -> impl Future<Output = Result<SystemDataUsageResponse, Error>> + Send;
}

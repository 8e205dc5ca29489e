//! `api::backend::PruneBackend` for the daemon.

use std::collections::HashMap;

use api::backend::{ContainerListOptions, PruneBackend};
use api::filters::Filters;
use api::types::{
    BuildPruneResponse, ContainerPruneResponse, ImagePruneResponse, NetworkPruneResponse,
    SystemDataUsageResponse, VolumePruneResponse, VolumeUsageData,
};
use jiff::Timestamp;

use super::until::until;
use crate::blocking::blocking;
use crate::containers::Containers;
use crate::daemon::Daemon;
use crate::images::usage;
use crate::usage::dir_size;

impl PruneBackend for Daemon {
    async fn container_prune(
        &self,
        filters: Filters,
    ) -> Result<ContainerPruneResponse, api::Error> {
        let until = until(&filters, Timestamp::now())?;
        let c = self.containers.clone();
        Ok(Containers::detached(async move { c.prune(&filters, until).await }).await?)
    }

    async fn image_prune(&self, filters: Filters) -> Result<ImagePruneResponse, api::Error> {
        let until = until(&filters, Timestamp::now())?;
        let (users, events) = (self.containers.clone(), self.events.clone());
        let pruned = self
            .images
            .blocking(move |s| Ok(usage::prune(s, &users, &events, &filters, until)))
            .await??;
        Ok(pruned)
    }

    async fn volume_prune(
        &self,
        filters: Filters,
        every_volume: bool,
    ) -> Result<VolumePruneResponse, api::Error> {
        Ok(self.prune_volumes(&filters, every_volume).await?)
    }

    /// User-defined networks without endpoints, created before `until`, with the labels.
    async fn network_prune(&self, filters: Filters) -> Result<NetworkPruneResponse, api::Error> {
        let until = until(&filters, Timestamp::now())?;
        Ok(self.prune_networks(&filters, until).await?)
    }

    /// The builder's checksum memo (the classic builder's cache proper is its images, which
    /// `image prune` removes, as with dockerd).
    async fn build_prune(
        &self,
        filters: Filters,
        keep_storage: Option<u64>,
    ) -> Result<BuildPruneResponse, api::Error> {
        Ok(self.build_cache.prune(&filters, keep_storage).await?)
    }

    async fn system_df(&self) -> Result<SystemDataUsageResponse, api::Error> {
        let mut using: HashMap<String, i64> = HashMap::new();
        for c in self.containers.all() {
            *using.entry(c.live().record.image_id.clone()).or_default() += 1;
        }
        let (layers_size, images) = self
            .images
            .blocking(move |s| Ok(usage::disk_usage(s, &using)))
            .await??;
        let opts = ContainerListOptions {
            all: true,
            size: true,
            ..ContainerListOptions::default()
        };
        let containers = self.container_summaries(opts).await?;
        let used = self.containers.volume_users();
        let vols = self.volumes.clone();
        let volumes = blocking(move || {
            vols.list()
                .into_iter()
                .map(|mut v| {
                    let size = dir_size(&vols.data_path(&v.name));
                    v.usage_data = Some(VolumeUsageData {
                        size: i64::try_from(size).unwrap_or(i64::MAX),
                        ref_count: used.get(&v.name).map_or(0, |u| u.len() as i64),
                    });
                    v
                })
                .collect()
        })
        .await?;
        Ok(SystemDataUsageResponse {
            layers_size,
            images,
            containers,
            volumes,
            build_cache: None,
        })
    }
}

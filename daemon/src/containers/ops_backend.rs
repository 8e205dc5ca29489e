//! `api::backend::ContainerOpsBackend` for the daemon: pause, unpause, rename, top, stats and
//! update, each handed to its operation (mutating ones detached from the request, as in
//! `backend.rs`).

use api::Error;
use api::backend::{ContainerOpsBackend, StatsOptions, StatsStream};
use api::types::{ContainerTopResponse, ContainerUpdateRequest, ContainerUpdateResponse};

use super::Containers;
use crate::daemon::Daemon;

impl ContainerOpsBackend for Daemon {
    async fn container_pause(&self, id: &str) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.pause(id)).await?)
    }

    async fn container_unpause(&self, id: &str) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.unpause(id)).await?)
    }

    async fn container_rename(&self, id: &str, name: &str) -> Result<(), Error> {
        let (c, id, name) = (self.containers.clone(), id.to_owned(), name.to_owned());
        Ok(Containers::detached(c.rename(id, name)).await?)
    }

    async fn container_top(&self, id: &str, ps_args: &str) -> Result<ContainerTopResponse, Error> {
        Ok(self.containers.top(id, ps_args).await?)
    }

    async fn container_stats(&self, id: &str, opts: StatsOptions) -> Result<StatsStream, Error> {
        Ok(self.containers.stats(id, opts)?)
    }

    async fn container_update(
        &self,
        id: &str,
        req: ContainerUpdateRequest,
    ) -> Result<ContainerUpdateResponse, Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.update(id, req)).await?)
    }
}

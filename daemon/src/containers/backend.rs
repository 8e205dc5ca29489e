//! `api::backend::ContainerBackend` for the daemon: each method hands one operation to the
//! store, and its failure to the API as an `api::Error` (the one conversion decides the kind).
//! Mutating operations run detached from the request (see [`Containers::detached`]).

use api::Error;
use api::backend::{
    AttachOptions, Attachment, ContainerBackend, ContainerListOptions, ContainerLogs,
    DeleteOptions, LogsOptions, StopOptions, WaitCondition, WaitFuture,
};
use api::signal::Signal;
use api::types::{
    ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerStatus,
    ContainerSummary,
};

use super::Containers;
use crate::daemon::Daemon;

impl ContainerBackend for Daemon {
    async fn container_create(
        &self,
        name: Option<&str>,
        req: ContainerCreateRequest,
    ) -> Result<ContainerCreateResponse, Error> {
        let (c, name) = (self.containers.clone(), name.map(str::to_owned));
        Ok(Containers::detached(c.create(name, req)).await?)
    }

    async fn container_start(&self, id: &str) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.start(id)).await?)
    }

    async fn container_wait(
        &self,
        id: &str,
        condition: WaitCondition,
    ) -> Result<WaitFuture, Error> {
        Ok(self.containers.wait(id, condition)?)
    }

    async fn container_attach(&self, id: &str, opts: AttachOptions) -> Result<Attachment, Error> {
        Ok(self.containers.attach(id, opts).await?)
    }

    async fn container_detached(&self, id: &str) {
        // moby's `containerAttach` on an `EscapeError`.
        self.containers.event_by_id(id, "detach", &[]);
    }

    async fn container_logs(&self, id: &str, opts: LogsOptions) -> Result<ContainerLogs, Error> {
        Ok(self.containers.logs(id, opts).await?)
    }

    async fn container_stop(&self, id: &str, opts: StopOptions) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.stop(id, opts)).await?)
    }

    async fn container_restart(&self, id: &str, opts: StopOptions) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.restart(id, opts)).await?)
    }

    async fn container_kill(&self, id: &str, signal: Signal) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.kill(id, signal)).await?)
    }

    async fn container_delete(&self, id: &str, opts: DeleteOptions) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.delete(id, opts)).await?)
    }

    async fn container_list(
        &self,
        opts: ContainerListOptions,
    ) -> Result<Vec<ContainerSummary>, Error> {
        let wanted: Vec<String> = opts.filters.get("health").to_vec();
        let mut list = self.container_summaries(opts).await?;
        // Health is the health monitors' (moby's `health` filter and `State.String`); the
        // other filters are the list's own.
        if !wanted.is_empty() {
            list.retain(|c| wanted.iter().any(|w| w == self.health.status_word(&c.id)));
        }
        for c in &mut list {
            if c.state == ContainerStatus::Running
                && let Some(suffix) = self.health.status_suffix(&c.id)
            {
                c.status.push_str(&suffix);
            }
        }
        Ok(list)
    }

    async fn container_inspect(&self, id: &str, size: bool) -> Result<ContainerInspect, Error> {
        let mut inspect = self.container_details(id, size).await?;
        inspect.exec_ids = self.execs.ids_of(&inspect.id);
        inspect.state.health = self
            .health
            .inspect(&inspect.id, inspect.config.healthcheck.as_ref());
        Ok(inspect)
    }

    async fn container_resize(&self, id: &str, height: u32, width: u32) -> Result<(), Error> {
        let (c, id) = (self.containers.clone(), id.to_owned());
        Ok(Containers::detached(c.resize(id, height, width)).await?)
    }
}

/// Which containers use an image, for `docker rmi`'s conflicts.
impl graph::ImageUsers for Containers {
    fn container_using(&self, id: &graph::ImageId, state: graph::ContainerState) -> Option<String> {
        let id = id.to_string();
        self.all().into_iter().find_map(|c| {
            let l = c.live();
            let running = matches!(
                l.record.state.status,
                ContainerStatus::Running | ContainerStatus::Restarting | ContainerStatus::Paused
            );
            let wanted = match state {
                graph::ContainerState::Running => running,
                graph::ContainerState::Stopped => !running,
            };
            (wanted && l.record.image_id == id).then(|| c.id.clone())
        })
    }
}

//! Backend traits whose stores are being wired in: answers in Docker's shape until then.

use api::Error;
use api::backend::{
    AttachOptions, Attachment, ContainerBackend, ContainerListOptions, ContainerLogs,
    DeleteOptions, LogsOptions, StopOptions, WaitCondition, WaitFuture, no_such_container,
};
use api::signal::Signal;
use api::types::{
    ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerSummary,
};

use crate::daemon::Daemon;

impl ContainerBackend for Daemon {
    async fn container_create(
        &self,
        _: Option<&str>,
        _: ContainerCreateRequest,
    ) -> Result<ContainerCreateResponse, Error> {
        Err(Error::new(
            api::ErrorKind::NotImplemented,
            "containers are not implemented yet",
        ))
    }

    async fn container_start(&self, id: &str) -> Result<(), Error> {
        Err(no_such_container(id))
    }

    async fn container_wait(&self, id: &str, _: WaitCondition) -> Result<WaitFuture, Error> {
        Err(no_such_container(id))
    }

    async fn container_attach(&self, id: &str, _: AttachOptions) -> Result<Attachment, Error> {
        Err(no_such_container(id))
    }

    async fn container_logs(&self, id: &str, _: LogsOptions) -> Result<ContainerLogs, Error> {
        Err(no_such_container(id))
    }

    async fn container_stop(&self, id: &str, _: StopOptions) -> Result<(), Error> {
        Err(no_such_container(id))
    }

    async fn container_restart(&self, id: &str, _: StopOptions) -> Result<(), Error> {
        Err(no_such_container(id))
    }

    async fn container_kill(&self, id: &str, _: Signal) -> Result<(), Error> {
        Err(no_such_container(id))
    }

    async fn container_delete(&self, id: &str, _: DeleteOptions) -> Result<(), Error> {
        Err(no_such_container(id))
    }

    async fn container_list(
        &self,
        _: ContainerListOptions,
    ) -> Result<Vec<ContainerSummary>, Error> {
        Ok(Vec::new())
    }

    async fn container_inspect(&self, id: &str, _: bool) -> Result<ContainerInspect, Error> {
        Err(no_such_container(id))
    }

    async fn container_resize(&self, id: &str, _: u32, _: u32) -> Result<(), Error> {
        Err(no_such_container(id))
    }
}

//! `api::backend::ExecBackend` for the daemon: each method hands one operation to the store.

use api::Error;
use api::backend::{ExecBackend, ExecSession, ExecStartOptions};
use api::types::{ExecCreateRequest, ExecInspectResponse};

use crate::daemon::Daemon;

impl ExecBackend for Daemon {
    async fn exec_create(&self, id: &str, req: ExecCreateRequest) -> Result<String, Error> {
        Ok(self.execs.create(id, req).await?)
    }

    async fn exec_start(
        &self,
        id: &str,
        opts: ExecStartOptions,
    ) -> Result<Option<ExecSession>, Error> {
        Ok(self.execs.start(id, opts).await?)
    }

    async fn exec_resize(&self, id: &str, height: u32, width: u32) -> Result<(), Error> {
        Ok(self.execs.resize(id, height, width).await?)
    }

    async fn exec_inspect(&self, id: &str) -> Result<ExecInspectResponse, Error> {
        Ok(self.execs.inspect(id)?)
    }

    async fn exec_detached(&self, id: &str) {
        // moby's `ContainerExecStart` on an `EscapeError`: the event, with the exec's ID.
        if let Ok(exec) = self.execs.get(id) {
            self.execs.event(&exec.config, "exec_detach", &[]);
        }
    }
}

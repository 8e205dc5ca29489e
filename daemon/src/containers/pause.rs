//! `pause` and `unpause`: the cgroup freezer through `runc pause` / `runc resume`, with
//! dockerd's refusals. A paused container is recorded as `paused` (inspect's `State.Paused`,
//! `ps`'s "Up … (Paused)"), so it stays paused across a daemon restart: its monitor and its
//! frozen processes outlive the daemon, and restore keeps the recorded state.

use std::sync::Arc;

use api::types::ContainerStatus;

use super::{Container, Containers};
use crate::blocking::blocking;
use crate::error::Error;

impl Container {
    /// The container is paused (frozen): what exec (`Container … is paused, unpause the
    /// container before exec`) and attach refuse.
    pub(crate) fn paused(&self) -> bool {
        self.live().record.state.status == ContainerStatus::Paused
    }
}

impl Containers {
    /// Freezes the container `term` names; 409 unless it is running (moby's `containerPause`).
    pub(crate) async fn pause(self, term: String) -> Result<(), Error> {
        let c = self.get(&term)?;
        let _op = c.op.lock().await;
        match c.live().record.state.status {
            ContainerStatus::Running => {}
            ContainerStatus::Paused => {
                return Err(Error::Conflict(format!(
                    "Container {} is already paused",
                    c.id
                )));
            }
            ContainerStatus::Restarting => {
                return Err(Error::Conflict(format!(
                    "Container {} is restarting, wait until the container is running",
                    c.id
                )));
            }
            _ => return Err(Error::NotRunning(c.id.clone())),
        }
        let (runtime, id) = (self.inner.runtimes.holding(&c.id), c.id.clone());
        blocking(move || execdriver::pause(&runtime, &id))
            .await?
            .map_err(|e| Error::System(format!("Cannot pause container {}: {e}", c.id)))?;
        self.set_paused(&c, true).await;
        Ok(())
    }

    /// Thaws the container `term` names; dockerd answers a container that is not paused with
    /// a 500 (`Container … is not paused`, a plain error in moby's `containerUnpause`).
    pub(crate) async fn unpause(self, term: String) -> Result<(), Error> {
        let c = self.get(&term)?;
        let _op = c.op.lock().await;
        if !c.paused() {
            return Err(Error::System(format!("Container {} is not paused", c.id)));
        }
        let (runtime, id) = (self.inner.runtimes.holding(&c.id), c.id.clone());
        blocking(move || execdriver::resume(&runtime, &id))
            .await?
            .map_err(|e| Error::System(format!("Cannot unpause container {}: {e}", c.id)))?;
        self.set_paused(&c, false).await;
        Ok(())
    }

    /// After a signal that ends a paused container (moby's `killWithSignal`): thaws it, so the
    /// signal is delivered; a failure is only logged, as dockerd does.
    pub(crate) async fn thaw_to_deliver(&self, c: &Arc<Container>) {
        if !c.paused() {
            return;
        }
        let (runtime, id) = (self.inner.runtimes.holding(&c.id), c.id.clone());
        match blocking(move || execdriver::resume(&runtime, &id)).await {
            Ok(Ok(())) => self.set_paused(c, false).await,
            Ok(Err(e)) => tracing::warn!(container = %c.id, error = %e, "cannot unpause container"),
            Err(e) => tracing::warn!(container = %c.id, error = %e, "cannot unpause container"),
        }
    }

    /// Records the freezer's new state, unless the container stopped meanwhile.
    async fn set_paused(&self, c: &Container, paused: bool) {
        {
            let mut l = c.live();
            let st = &mut l.record.state.status;
            match (paused, *st) {
                (true, ContainerStatus::Running) => *st = ContainerStatus::Paused,
                (false, ContainerStatus::Paused) => *st = ContainerStatus::Running,
                _ => return,
            }
        }
        c.save_or_warn().await;
        c.publish();
        self.event(c, if paused { "pause" } else { "unpause" }, &[]);
    }
}

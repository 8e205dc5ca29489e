//! `POST /containers/{id}/wait`: a watch on the container's state, taken before returning, so
//! an exit after the call is never missed.

use crate::error::Error;
use api::backend::{WaitCondition, WaitFuture};
use api::types::ContainerWaitResponse;

use super::{Containers, Snapshot};

impl Containers {
    /// Registers a waiter on the container `term` names; the future resolves when `condition`
    /// is met.
    pub(crate) fn wait(&self, term: &str, condition: WaitCondition) -> Result<WaitFuture, Error> {
        let c = self.get(term)?;
        let mut rx = c.events.subscribe();
        let start = rx.borrow_and_update().clone();
        let met = move |s: &Snapshot| match condition {
            WaitCondition::NotRunning => !s.running() || s.removed,
            WaitCondition::NextExit => s.exits > start.exits || s.removed,
            WaitCondition::Removed => s.removed,
        };
        Ok(Box::pin(async move {
            loop {
                {
                    let s = rx.borrow_and_update();
                    if met(&s) {
                        return ContainerWaitResponse::exited(s.exit_code);
                    }
                }
                if rx.changed().await.is_err() {
                    let s = rx.borrow();
                    return ContainerWaitResponse::exited(s.exit_code);
                }
            }
        }))
    }
}

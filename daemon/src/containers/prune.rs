//! `POST /containers/prune`: every container that does not run, as moby's `ContainersPrune`.

use api::backend::DeleteOptions;
use api::filters::Filters;
use api::types::ContainerPruneResponse;
use jiff::Timestamp;

use super::Containers;
use crate::error::Result;

impl Containers {
    /// Removes the containers that do not run, created before `until` (if given), whose
    /// labels `filters` select (`label`, `label!`); a removal frees the writable layer. One
    /// that fails is logged and skipped, as dockerd does. Tells the `prune` event.
    pub(crate) async fn prune(
        &self,
        filters: &Filters,
        until: Option<Timestamp>,
    ) -> Result<ContainerPruneResponse> {
        let mut deleted = Vec::new();
        let mut reclaimed = 0u64;
        let mut all = self.all();
        all.sort_by_key(|c| c.live().record.created);
        for c in all {
            let wanted = {
                let l = c.live();
                !l.snapshot().running()
                    && until.is_none_or(|u| l.record.created <= u)
                    && filters.match_labels(l.record.config.labels.as_ref())
            };
            if !wanted {
                continue;
            }
            let (this, sized) = (self.clone(), c.clone());
            let size = crate::blocking::blocking(move || this.sizes(&sized, 0).0)
                .await
                .unwrap_or(0);
            match self
                .clone()
                .delete(c.id.clone(), DeleteOptions::default())
                .await
            {
                Ok(()) => {
                    deleted.push(c.id.clone());
                    reclaimed += u64::try_from(size).unwrap_or(0);
                }
                Err(e) => {
                    tracing::warn!(container = %c.id, error = %e, "prune: cannot remove the container");
                }
            }
        }
        self.inner.events.prune("container", reclaimed);
        Ok(ContainerPruneResponse {
            containers_deleted: (!deleted.is_empty()).then_some(deleted),
            space_reclaimed: reclaimed,
        })
    }
}

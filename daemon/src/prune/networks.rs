//! `POST /networks/prune`: the user-defined networks no container is attached to (moby's
//! `NetworksPrune`), through the ordinary removal, each telling `destroy`.

use api::filters::Filters;
use api::types::NetworkPruneResponse;
use jiff::Timestamp;

use crate::daemon::Daemon;
use crate::error::Result;

impl Daemon {
    /// Removes the user networks without endpoints that `filters` (`label`) and `until`
    /// select; one that cannot go is left and logged, as moby skips it.
    pub(crate) async fn prune_networks(
        &self,
        filters: &Filters,
        until: Option<Timestamp>,
    ) -> Result<NetworkPruneResponse> {
        let mut deleted = Vec::new();
        let users = self
            .network
            .driver()
            .map(|d| d.user_networks())
            .unwrap_or_default();
        for (cfg, endpoints) in users {
            if !endpoints.is_empty()
                || until.is_some_and(|u| cfg.created >= u)
                || !filters.match_labels(Some(&cfg.labels))
            {
                continue;
            }
            match self.remove_user_network(&cfg.id, &cfg.name).await {
                Ok(()) => deleted.push(cfg.name),
                Err(e) => tracing::warn!(network = %cfg.name, error = %e, "cannot prune a network"),
            }
        }
        self.events.prune("network", 0);
        Ok(NetworkPruneResponse {
            networks_deleted: (!deleted.is_empty()).then_some(deleted),
        })
    }
}

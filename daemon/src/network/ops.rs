//! `POST /networks/create`, `DELETE /networks/{id}`, `POST /networks/{id}/connect` and
//! `/disconnect`, and the removal `POST /networks/prune` makes: the daemon's part (names,
//! predefined networks, events); the driver makes the bridges, the containers the endpoints.

use api::types::{
    NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkDisconnectRequest,
};

use super::backend::find;
use super::user::{self, PREDEFINED, forbidden};
use crate::daemon::Daemon;
use crate::error::{Error, Result};

impl Daemon {
    /// Creates a user-defined bridge network and tells `create`.
    pub(crate) async fn create_network(
        &self,
        req: NetworkCreateRequest,
    ) -> Result<NetworkCreateResponse> {
        let spec = user::spec(req)?;
        let driver = self.network.driver().ok_or_else(|| {
            Error::NotImplemented(
                "user-defined networks need networking (not --bridge=none)".into(),
            )
        })?;
        let cfg = driver.create_network(spec).await?;
        self.events
            .network(&cfg.id, &cfg.name, "bridge", "create", None);
        Ok(NetworkCreateResponse {
            id: cfg.id,
            warning: String::new(),
        })
    }

    /// Removes the network `term` names (not a predefined one, and not while containers are
    /// attached) and tells `destroy`.
    pub(crate) async fn delete_network(&self, term: &str) -> Result<()> {
        let n = find(self.networks(), term)?;
        if PREDEFINED.contains(&n.name.as_str()) {
            return Err(forbidden(format!(
                "{} is a pre-defined network and cannot be removed",
                n.name
            )));
        }
        self.remove_user_network(&n.id, &n.name).await
    }

    /// Removes user network `id` and tells `destroy`.
    pub(crate) async fn remove_user_network(&self, id: &str, name: &str) -> Result<()> {
        let driver = self
            .network
            .driver()
            .ok_or_else(|| Error::NoSuchNetwork(name.to_owned()))?;
        driver.remove_network(id).await?;
        self.events.network(id, name, "bridge", "destroy", None);
        Ok(())
    }

    /// Connects a container to the network `term` names.
    pub(crate) async fn connect_network(
        &self,
        term: &str,
        req: NetworkConnectRequest,
    ) -> Result<()> {
        let n = find(self.networks(), term)?;
        let settings = req.endpoint_config.unwrap_or_default();
        let c = self.containers.clone();
        crate::containers::Containers::detached(async move {
            c.connect(&req.container, &n.name, &n.driver, settings)
                .await
        })
        .await
    }

    /// Disconnects a container from the network `term` names.
    pub(crate) async fn disconnect_network(
        &self,
        term: &str,
        req: NetworkDisconnectRequest,
    ) -> Result<()> {
        let name = match find(self.networks(), term) {
            Ok(n) => n.name,
            // `-f` takes the container off a network that is gone.
            Err(_) if req.force => term.to_owned(),
            Err(e) => return Err(e),
        };
        let c = self.containers.clone();
        crate::containers::Containers::detached(async move {
            c.disconnect(&req.container, &name, req.force).await
        })
        .await
    }
}

//! `api::backend::DistributionBackend` for the daemon.

use api::backend::{DistributionBackend, MessageStream, PullOptions, PushOptions};
use api::types::{AuthConfig, AuthResponse, DistributionInspect};

use crate::daemon::Daemon;

impl DistributionBackend for Daemon {
    async fn image_pull(&self, opts: PullOptions) -> Result<MessageStream, api::Error> {
        Ok(self
            .registry()
            .pull(&self.images, &self.events, opts)
            .await?)
    }

    async fn image_push(&self, opts: PushOptions) -> Result<MessageStream, api::Error> {
        Ok(self
            .registry()
            .push(&self.images, &self.events, opts)
            .await?)
    }

    async fn login(&self, auth: AuthConfig) -> Result<AuthResponse, api::Error> {
        Ok(self.registry().login(auth).await?)
    }

    async fn distribution_inspect(
        &self,
        name: &str,
        auth: Option<AuthConfig>,
    ) -> Result<DistributionInspect, api::Error> {
        Ok(self.registry().inspect(name, auth).await?)
    }
}

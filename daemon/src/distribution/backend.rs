//! `api::backend::DistributionBackend` for the daemon.

use api::backend::{DistributionBackend, MessageStream, PullOptions, PushOptions};
use api::types::{AuthConfig, AuthResponse, DistributionInspect};

use crate::daemon::Daemon;
use crate::error::Error;

/// Until the registry client is wired in, every registry operation is refused as before.
fn not_yet(what: &str) -> api::Error {
    Error::NotImplemented(format!(
        "{what} is not supported: wharf has no registry client yet; bring images in with \
         docker load or docker import"
    ))
    .into()
}

impl DistributionBackend for Daemon {
    async fn image_pull(&self, opts: PullOptions) -> Result<MessageStream, api::Error> {
        let tag = opts.tag.map(|t| format!(":{t}")).unwrap_or_default();
        Err(not_yet(&format!("pull of {}{tag}", opts.image)))
    }

    async fn image_push(&self, _opts: PushOptions) -> Result<MessageStream, api::Error> {
        Err(not_yet("push"))
    }

    async fn login(&self, _auth: AuthConfig) -> Result<AuthResponse, api::Error> {
        Err(not_yet("login"))
    }

    async fn distribution_inspect(
        &self,
        _name: &str,
        _auth: Option<AuthConfig>,
    ) -> Result<DistributionInspect, api::Error> {
        Err(not_yet("distribution inspect"))
    }
}

//! Registries: `docker pull`, `push`, `login` and distribution inspect, between the registry
//! client (`distribution`) and the image store (`graph`).
//!
//! A pull resolves the reference before it answers (so an unknown repository or a registry
//! that cannot be reached is the answer's status, as with dockerd), then streams dockerd's
//! progress lines while its layers download, verify and extract at once, each as it streams
//! in (`pull`), and commits the image through the image store's commit path.

mod backend;
mod inspect;
mod progress;
mod pull;
mod push;

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::Registries;
use crate::error::Result;

/// The registry client and the daemon-wide transfer limits (dockerd's
/// `--max-concurrent-downloads` and `--max-concurrent-uploads` count across every pull and
/// push).
#[derive(Debug, Clone)]
pub struct Registry {
    client: distribution::Client,
    downloads: Arc<Semaphore>,
    uploads: Arc<Semaphore>,
}

impl Registry {
    /// The client for the validated settings.
    pub fn new(config: &Registries) -> Result<Registry> {
        Ok(Registry {
            client: distribution::Client::new(config.client.clone())?,
            downloads: Arc::new(Semaphore::new(
                config.max_concurrent_downloads.max(1) as usize
            )),
            uploads: Arc::new(Semaphore::new(config.max_concurrent_uploads.max(1) as usize)),
        })
    }
}

/// The registry client's credentials from the API's.
fn credentials(auth: Option<api::types::AuthConfig>) -> distribution::Credentials {
    let a = auth.unwrap_or_default();
    distribution::Credentials {
        username: a.username,
        password: a.password,
        identity_token: a.identity_token,
        registry_token: a.registry_token,
    }
}

//! The client: the registry settings and the shared connection pools. Cheap to clone; one per
//! daemon. The concurrency of downloads and uploads is the caller's: every method may run
//! alongside any other.

use std::sync::Arc;

use crate::Error;
use crate::auth::{Access, Credentials};
use crate::config::RegistryConfig;
use crate::endpoint::Endpoint;
use crate::manifest::platform::PlatformSpec;
use crate::pull::FetchedManifest;
use crate::pull::{Resolved, translate_pull_error};
use crate::reference::{ImageRef, Repository};
use crate::session::Session;
use crate::transport::Transport;

/// The `User-Agent` the client sends unless told otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("wharf/", env!("CARGO_PKG_VERSION"));

/// A registry client.
#[derive(Clone)]
pub struct Client {
    pub(crate) config: Arc<RegistryConfig>,
    pub(crate) transport: Transport,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish()
    }
}

impl Client {
    /// A client with these settings.
    pub fn new(config: RegistryConfig) -> Result<Client, Error> {
        Client::with_user_agent(config, DEFAULT_USER_AGENT)
    }

    /// A client that sends `user_agent` (dockerd sends its version and the CLI's).
    pub fn with_user_agent(config: RegistryConfig, user_agent: &str) -> Result<Client, Error> {
        let transport = Transport::new(config.certs_dir().map(Into::into), user_agent)?;
        Ok(Client {
            config: Arc::new(config),
            transport,
        })
    }

    /// The settings.
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Opens a session on `repository` at one given endpoint (pinging it first).
    pub async fn session_at(
        &self,
        endpoint: Endpoint,
        repository: &Repository,
        creds: &Credentials,
        access: Access,
    ) -> Result<Session, Error> {
        Session::open(
            self.transport.clone(),
            endpoint,
            repository.clone(),
            creds.clone(),
            access,
        )
        .await
    }

    /// Resolves `image` for a pull, trying the registry's endpoints in dockerd's order (mirrors,
    /// HTTPS, HTTP for an insecure registry) and moving on as dockerd does: after a failed
    /// connection always, after a registry's refusal only from a mirror, and never to plain
    /// HTTP once the same host answered over TLS. The error is the last endpoint's, in
    /// dockerd's words.
    pub async fn resolve(
        &self,
        image: &ImageRef,
        creds: &Credentials,
        platform: &PlatformSpec,
    ) -> Result<Resolved, Error> {
        self.on_pull_endpoints(image, creds, |session| {
            let (image, platform) = (image.clone(), platform.clone());
            Box::pin(async move { session.resolve(&image, &platform).await })
        })
        .await
    }

    /// What `image` names on the registry, as it is (an index stays an index), with the
    /// session that fetched it: `GET /distribution/{name}/json`. Endpoints are tried as for
    /// [`Client::resolve`].
    pub async fn top_manifest(
        &self,
        image: &ImageRef,
        creds: &Credentials,
    ) -> Result<(Session, FetchedManifest), Error> {
        let full = image.to_string();
        self.on_pull_endpoints(image, creds, |session| {
            let (image, full) = (image.clone(), full.clone());
            Box::pin(async move {
                let m = session.manifest(image.manifest_reference(), &full).await?;
                Ok((session.clone(), m))
            })
        })
        .await
    }

    /// Runs `op` on a pull session of each endpoint in turn until one answers; see
    /// [`Client::resolve`] for the order and when the next one is tried.
    pub(crate) async fn on_pull_endpoints<T, F>(
        &self,
        image: &ImageRef,
        creds: &Credentials,
        op: F,
    ) -> Result<T, Error>
    where
        F: for<'s> Fn(
            &'s Session,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, Error>> + Send + 's>,
        >,
    {
        let domain = image.repository.domain();
        let mut last = None;
        let mut tls_answered = false;
        for endpoint in self.config.endpoints(domain, true).await {
            if endpoint.is_http() && tls_answered {
                continue;
            }
            let mirror = endpoint.mirror;
            let https = !endpoint.is_http();
            let session = match self
                .session_at(endpoint, &image.repository, creds, Access::Pull)
                .await
            {
                Ok(s) => s,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            tls_answered |= https && !mirror;
            match op(&session).await {
                Ok(r) => return Ok(r),
                Err(e) if e.allows_fallback(mirror) => {
                    tracing::info!(
                        "pull of {image} from {} failed, trying the next endpoint: {e}",
                        session.endpoint().base
                    );
                    last = Some(e);
                }
                Err(e) => return Err(translate_pull_error(e, image)),
            }
        }
        Err(translate_pull_error(
            last.unwrap_or_else(|| {
                Error::Config(format!("no endpoints found for {}", image.familiar()))
            }),
            image,
        ))
    }

    /// Opens a session for a push to `repository`: the registry itself (never a mirror),
    /// HTTPS first, HTTP for an insecure registry whose HTTPS could not be reached.
    pub async fn push_session(
        &self,
        repository: &Repository,
        creds: &Credentials,
    ) -> Result<Session, Error> {
        let mut last = None;
        for endpoint in self.config.endpoints(repository.domain(), false).await {
            match self
                .session_at(endpoint, repository, creds, Access::Push)
                .await
            {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::Config(format!(
                "no endpoints found for {}",
                repository.familiar_name()
            ))
        }))
    }
}

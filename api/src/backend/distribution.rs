//! What the registry routes need from the daemon: pull (`POST /images/create?fromImage=`),
//! push (`POST /images/{name}/push`), login (`POST /auth`) and `GET /distribution/{name}/json`.
//! Credentials come from the `X-Registry-Auth` header (or `/auth`'s body) and go no further
//! than the registry.

use std::future::Future;

use super::MessageStream;
use crate::Error;
use crate::types::{AuthConfig, AuthResponse, DistributionInspect};

/// What `POST /images/create?fromImage=` asks for.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// `fromImage`: the repository, as the client wrote it (it may carry a tag or a digest).
    pub image: String,
    /// `tag`: a tag or a digest (`sha256:…`); `None`: every tag of the repository
    /// (`docker pull -a`).
    pub tag: Option<String>,
    /// `platform`: `os[/arch[/variant]]`.
    pub platform: Option<String>,
    /// The `X-Registry-Auth` credentials, if any.
    pub auth: Option<AuthConfig>,
}

/// What `POST /images/{name}/push` asks for.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// The image's name, as the client wrote it.
    pub name: String,
    /// `tag`; `None`: every tag of the repository.
    pub tag: Option<String>,
    /// The `X-Registry-Auth` credentials, if any.
    pub auth: Option<AuthConfig>,
}

/// Pull, push, login and distribution inspect.
pub trait DistributionBackend {
    /// `POST /images/create?fromImage=`: progress lines as dockerd sends them. A failure
    /// before the first line (no such repository, unreachable registry) is the answer's
    /// status; after it, an in-band error line.
    fn image_pull(
        &self,
        opts: PullOptions,
    ) -> impl Future<Output = Result<MessageStream, Error>> + Send;

    /// `POST /images/{name}/push`: progress lines as dockerd sends them.
    fn image_push(
        &self,
        opts: PushOptions,
    ) -> impl Future<Output = Result<MessageStream, Error>> + Send;

    /// `POST /auth`: checks the credentials against the registry.
    fn login(&self, auth: AuthConfig) -> impl Future<Output = Result<AuthResponse, Error>> + Send;

    /// `GET /distribution/{name}/json`: what the registry holds under the name.
    fn distribution_inspect(
        &self,
        name: &str,
        auth: Option<AuthConfig>,
    ) -> impl Future<Output = Result<DistributionInspect, Error>> + Send;
}

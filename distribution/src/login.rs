//! `docker login`: credentials are checked by a `GET /v2/` that answers the registry's
//! challenge, as dockerd's `POST /auth` does (moby's `loginV2`), and a refresh token the token
//! server hands out comes back as the identity token.

use http_body_util::BodyExt;
use hyper::header::AUTHORIZATION;
use hyper::{Method, Request, StatusCode};

use crate::auth::Credentials;
use crate::auth::token;
use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::error::RequestError;
use crate::reference::{DOCKER_HUB, DOCKER_HUB_INDEX};
use crate::session::ping;
use crate::transport::{basic_auth, body};
use crate::{Error, ErrorKind};

/// A successful login.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginOk {
    /// dockerd's status: "Login Succeeded".
    pub status: &'static str,
    /// A refresh token for later requests (`IdentityToken`), when the registry gave one.
    pub identity_token: Option<String>,
}

impl std::fmt::Debug for LoginOk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginOk")
            .field("status", &self.status)
            .field("identity_token", &self.identity_token.is_some())
            .finish()
    }
}

/// The registry host a login's `serveraddress` names, as dockerd reads it: empty or Docker
/// Hub's index URL is Docker Hub; otherwise the host of the address (a scheme and a path are
/// dropped).
pub fn login_host(server_address: &str) -> String {
    let s = server_address.trim();
    if s.is_empty() || s == DOCKER_HUB {
        return DOCKER_HUB.to_owned();
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = rest.split('/').next().unwrap_or_default();
    if host == DOCKER_HUB_INDEX {
        DOCKER_HUB.to_owned()
    } else {
        host.to_owned()
    }
}

impl Client {
    /// Checks `creds` against the registry `server_address` names: each endpoint in turn
    /// (never a mirror), stopping at the first that accepts them or refuses them; a failed
    /// connection moves on to the next.
    pub async fn login(&self, server_address: &str, creds: &Credentials) -> Result<LoginOk, Error> {
        let host = login_host(server_address);
        let mut last = None;
        for endpoint in self.config.endpoints(&host, false).await {
            match self.login_at(&endpoint, creds).await {
                Ok(ok) => return Ok(ok),
                Err(e) if e.kind() == ErrorKind::Unauthorized => return Err(e),
                Err(e) => {
                    tracing::info!(
                        "error logging in to endpoint {}, trying next endpoint: {e}",
                        endpoint.base
                    );
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::Config(format!("no endpoints found for {host}"))))
    }

    /// One endpoint's login: ping, answer the challenge, `GET /v2/` again.
    pub async fn login_at(
        &self,
        endpoint: &Endpoint,
        creds: &Credentials,
    ) -> Result<LoginOk, Error> {
        let url = endpoint.v2("");
        let wrap = |source| Error::Request {
            method: "GET".into(),
            url: url.clone(),
            source,
        };
        let challenges = ping(&self.transport, endpoint).await?.challenges;
        let mut refresh = None;
        let authorization = if !creds.registry_token.is_empty() {
            Some(format!("Bearer {}", creds.registry_token))
        } else if let Some(c) = challenges.iter().find(|c| c.scheme == "bearer") {
            let t = token::fetch(&self.transport, &endpoint.tls, c, creds, &[], true)
                .await
                .map_err(wrap)?;
            refresh = t.refresh_token;
            Some(format!("Bearer {}", t.token))
        } else if challenges.iter().any(|c| c.scheme == "basic") {
            if creds.username.is_empty() && creds.password.is_empty() {
                return Err(wrap(RequestError::NoBasicCredentials));
            }
            basic_auth(&creds.username, &creds.password)
                .to_str()
                .ok()
                .map(str::to_owned)
        } else {
            None
        };
        let mut b = Request::builder().method(Method::GET).uri(&url);
        if let Some(a) = authorization {
            b = b.header(AUTHORIZATION, a);
        }
        let request = b
            .body(body::empty())
            .map_err(|e| wrap(RequestError::Transport(e.to_string())))?;
        let response = self
            .transport
            .send(&endpoint.tls, request)
            .await
            .map_err(wrap)?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        if status != StatusCode::OK {
            return Err(Error::LoginFailed {
                url,
                status: status.to_string(),
            });
        }
        let identity_token = refresh
            .or_else(|| (!creds.identity_token.is_empty()).then(|| creds.identity_token.clone()));
        Ok(LoginOk {
            status: "Login Succeeded",
            identity_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_name_hosts_as_dockerd_reads_them() {
        assert_eq!(login_host(""), "docker.io");
        assert_eq!(login_host("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(login_host("docker.io"), "docker.io");
        assert_eq!(login_host("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(
            login_host("http://reg.example:5000/v2/"),
            "reg.example:5000"
        );
    }
}

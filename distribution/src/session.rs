//! A session: one repository at one endpoint with one caller's credentials, as dockerd's
//! `NewV2Repository` sets one up for a pull or a push. Opening it pings `/v2/` to learn the
//! registry's challenges; every request then carries the authorization they ask for (Basic, or
//! a bearer token fetched once and renewed when it expires). Cheap to clone: the layers of one
//! pull share its token and connections.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response};

use crate::Error;
use crate::auth::token::{self, Token};
use crate::auth::{Access, Challenge, Credentials, challenge, repository_scope};
use crate::endpoint::Endpoint;
use crate::errcode;
use crate::error::RequestError;
use crate::reference::Repository;
use crate::transport::{Transport, basic_auth, body};

/// Authorized access to one repository through one endpoint.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    endpoint: Endpoint,
    repository: Repository,
    creds: Credentials,
    scope: String,
    challenges: Vec<Challenge>,
    /// Bearer tokens by the scopes they were asked for.
    tokens: tokio::sync::Mutex<HashMap<String, Token>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("endpoint", &self.inner.endpoint.base)
            .field("repository", &self.inner.repository.full_name())
            .finish()
    }
}

/// What the `/v2/` ping learned: the challenges, and the answer's status.
pub(crate) struct Ping {
    pub challenges: Vec<Challenge>,
}

/// `GET /v2/` at `endpoint`: any answer will do (a 401 carries the challenges); only a failed
/// connection fails.
pub(crate) async fn ping(transport: &Transport, endpoint: &Endpoint) -> Result<Ping, Error> {
    let url = endpoint.v2("");
    let response = transport
        .get_following(&endpoint.tls, Method::GET, &url, &[], None)
        .await
        .map_err(|source| Error::Request {
            method: "GET".into(),
            url: url.clone(),
            source,
        })?;
    let challenges = challenges_of(&response);
    // The body is read to its end so that the connection goes back to the pool.
    let _ = response.into_body().collect().await;
    Ok(Ping { challenges })
}

fn challenges_of<B>(response: &Response<B>) -> Vec<Challenge> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(challenge::parse)
        .collect()
}

impl Session {
    /// Opens a session on `repository` at `endpoint` for `access`, pinging the endpoint.
    pub(crate) async fn open(
        transport: Transport,
        endpoint: Endpoint,
        repository: Repository,
        creds: Credentials,
        access: Access,
    ) -> Result<Session, Error> {
        let ping = ping(&transport, &endpoint).await?;
        let scope = repository_scope(repository.path(), access);
        Ok(Session {
            inner: Arc::new(Inner {
                transport,
                endpoint,
                repository,
                creds,
                scope,
                challenges: ping.challenges,
                tokens: tokio::sync::Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The endpoint this session talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.inner.repository
    }

    /// The URL of `/v2/<repository>/<rest>`.
    pub(crate) fn url(&self, rest: &str) -> String {
        self.inner
            .endpoint
            .v2(&format!("{}/{rest}", self.inner.repository.path()))
    }

    /// The `Authorization` header for a request needing the session's scope plus `extra`
    /// scopes (a cross-repository mount also reads the source repository).
    pub(crate) async fn authorization(
        &self,
        extra: &[String],
    ) -> Result<Option<HeaderValue>, RequestError> {
        let creds = &self.inner.creds;
        if !creds.registry_token.is_empty() {
            return Ok(Some(bearer(&creds.registry_token)));
        }
        if let Some(c) = self.inner.challenges.iter().find(|c| c.scheme == "bearer") {
            let mut scopes = vec![self.inner.scope.clone()];
            scopes.extend(extra.iter().cloned());
            let key = scopes.join(" ");
            let mut tokens = self.inner.tokens.lock().await;
            if let Some(t) = tokens.get(&key).filter(|t| t.expires > Instant::now()) {
                return Ok(Some(bearer(&t.token)));
            }
            let t = token::fetch(
                &self.inner.transport,
                &self.inner.endpoint.tls,
                c,
                creds,
                &scopes,
                false,
            )
            .await?;
            let header = bearer(&t.token);
            tokens.insert(key, t);
            return Ok(Some(header));
        }
        if self.inner.challenges.iter().any(|c| c.scheme == "basic") {
            if creds.username.is_empty() && creds.password.is_empty() {
                return Err(RequestError::NoBasicCredentials);
            }
            return Ok(Some(basic_auth(&creds.username, &creds.password)));
        }
        Ok(None)
    }

    /// An authorized GET or HEAD of `url`, following redirects.
    pub(crate) async fn get(
        &self,
        method: Method,
        url: &str,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<Response<Incoming>, Error> {
        let wrap = |source| Error::Request {
            method: method.to_string(),
            url: url.to_owned(),
            source,
        };
        let authorization = self.authorization(&[]).await.map_err(wrap)?;
        self.inner
            .transport
            .get_following(
                &self.inner.endpoint.tls,
                method.clone(),
                url,
                headers,
                authorization,
            )
            .await
            .map_err(wrap)
    }

    /// An authorized request with a body (`POST`, `PUT`, `PATCH`), not redirected.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: body::Body,
        extra_scopes: &[String],
    ) -> Result<Response<Incoming>, Error> {
        let wrap = |source| Error::Request {
            method: method.to_string(),
            url: url.to_owned(),
            source,
        };
        let authorization = self.authorization(extra_scopes).await.map_err(wrap)?;
        let mut b = Request::builder().method(method.clone()).uri(url);
        for (k, v) in headers {
            b = b.header(k, v);
        }
        if let Some(a) = authorization {
            b = b.header(AUTHORIZATION, a);
        }
        let request = b
            .body(body)
            .map_err(|e| wrap(RequestError::Transport(format!("invalid request: {e}"))))?;
        self.inner
            .transport
            .send(&self.inner.endpoint.tls, request)
            .await
            .map_err(wrap)
    }
}

fn bearer(token: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(&format!("Bearer {token}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
    v.set_sensitive(true);
    v
}

/// Reads an error answer into the crate's error, as distribution's `HandleErrorResponse`
/// does: the bearer challenge's `error` first (`invalid_token` is unauthorized,
/// `insufficient_scope` denied), then the body's errors, else the bare status.
pub(crate) async fn error_of(response: Response<Incoming>) -> Error {
    let status = response.status();
    let mut from_challenge = None;
    if status.is_client_error() {
        for c in challenges_of(&response) {
            if c.scheme != "bearer" {
                continue;
            }
            let code = match c.param("error") {
                Some("invalid_token") => "UNAUTHORIZED",
                Some("insufficient_scope") => "DENIED",
                _ => continue,
            };
            let mut e = errcode::RegistryError::new(code);
            if let Some(d) = c.param("error_description").filter(|d| !d.is_empty()) {
                e = e.with_message(d);
            }
            from_challenge = Some(e);
            break;
        }
    }
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let parsed = errcode::parse(status.as_u16(), &bytes);
    let errors = match (from_challenge, parsed) {
        (Some(first), Some(rest)) => {
            let mut all = vec![first];
            all.extend(rest.0);
            Some(errcode::RegistryErrors(all))
        }
        (Some(first), None) => Some(errcode::RegistryErrors(vec![first])),
        (None, parsed) => parsed,
    };
    match errors {
        Some(errors) => Error::Registry {
            status: status.as_u16(),
            errors,
        },
        None if status == hyper::StatusCode::UNAUTHORIZED => Error::Registry {
            status: 401,
            errors: errcode::RegistryErrors(vec![errcode::RegistryError::new("UNAUTHORIZED")]),
        },
        None => Error::UnexpectedStatus {
            status: status.to_string(),
        },
    }
}

/// A whole (small) answer body: a manifest, a tag list.
pub(crate) async fn read_body(
    response: Response<Incoming>,
    url: &str,
) -> Result<bytes::Bytes, Error> {
    Ok(response
        .into_body()
        .collect()
        .await
        .map_err(|e| Error::Request {
            method: "GET".into(),
            url: url.to_owned(),
            source: crate::error::RequestError::Transport(e.to_string()),
        })?
        .to_bytes())
}

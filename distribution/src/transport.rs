//! The HTTP client underneath: one hyper-util pool per TLS policy (hyper's pool keeps the
//! connections of every host apart), shared by every session, so concurrent layer downloads
//! and later pulls reuse connections. It only sends; authorization is the session's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, HeaderValue, LOCATION, USER_AGENT};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::Error;
use crate::endpoint::Tls;
use crate::error::RequestError;
use crate::tls;

/// Request bodies: empty, whole, or streamed from the caller.
pub(crate) mod body {
    use bytes::Bytes;
    use http_body_util::combinators::UnsyncBoxBody;
    use http_body_util::{BodyExt, Empty, Full};

    /// The error a streamed body may end with.
    pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
    /// Any request body.
    pub type Body = UnsyncBoxBody<Bytes, BoxError>;

    /// No body.
    pub fn empty() -> Body {
        Empty::new().map_err(|never| match never {}).boxed_unsync()
    }

    /// A body in memory.
    pub fn full(bytes: Bytes) -> Body {
        Full::new(bytes)
            .map_err(|never| match never {})
            .boxed_unsync()
    }
}

/// A pool's key: its TLS policy and the certs directory entries (name, modification time) it
/// was built from.
type PoolKey = (Tls, Vec<(String, SystemTime)>);

type Pool = HyperClient<HttpsConnector<HttpConnector>, body::Body>;

/// How long a connection attempt may take (dockerd's dialer: 30 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How many redirects a GET or HEAD follows (Go's client: 10).
const MAX_REDIRECTS: usize = 10;

/// The shared client: cheap to clone.
#[derive(Clone)]
pub(crate) struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    certs_dir: Option<PathBuf>,
    user_agent: HeaderValue,
    /// Pools by TLS policy and the state of the certs directory they were built from, so a
    /// CA dropped into `certs.d` is used from the next request on, as dockerd reads it per pull.
    pools: Mutex<HashMap<PoolKey, Pool>>,
}

impl Transport {
    pub(crate) fn new(certs_dir: Option<PathBuf>, user_agent: &str) -> Result<Self, Error> {
        let user_agent = HeaderValue::from_str(user_agent)
            .map_err(|_| Error::Config(format!("invalid user agent {user_agent:?}")))?;
        Ok(Transport {
            inner: Arc::new(Inner {
                certs_dir,
                user_agent,
                pools: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The pool for `tls`, built on first use (and again when its certs directory changed).
    fn pool(&self, tls: &Tls) -> Result<Pool, RequestError> {
        let stamp = self.certs_stamp(tls);
        let key = (tls.clone(), stamp);
        let mut pools = self.inner.pools.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = pools.get(&key) {
            return Ok(p.clone());
        }
        let config = tls::client_config(tls, self.inner.certs_dir.as_deref())
            .map_err(|e| RequestError::Transport(e.to_string()))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let pool: Pool = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        // Pools of an older state of the same directory are dropped with their connections.
        pools.retain(|(t, _), _| t != tls);
        pools.insert(key, pool.clone());
        Ok(pool)
    }

    /// Names and modification times of the endpoint's certs directory entries.
    fn certs_stamp(&self, tls: &Tls) -> Vec<(String, SystemTime)> {
        let (
            Some(dir),
            Tls::Verify {
                certs_host: Some(host),
            },
        ) = (&self.inner.certs_dir, tls)
        else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(dir.join(host)) else {
            return Vec::new();
        };
        let mut stamp: Vec<(String, SystemTime)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let modified = e.metadata().and_then(|m| m.modified()).ok()?;
                Some((e.file_name().to_string_lossy().into_owned(), modified))
            })
            .collect();
        stamp.sort();
        stamp
    }

    /// Sends one request as it is.
    pub(crate) async fn send(
        &self,
        tls: &Tls,
        mut request: Request<body::Body>,
    ) -> Result<Response<Incoming>, RequestError> {
        request
            .headers_mut()
            .insert(USER_AGENT, self.inner.user_agent.clone());
        let pool = self.pool(tls)?;
        pool.request(request)
            .await
            .map_err(|e| RequestError::Transport(chain(&e)))
    }

    /// Sends a GET or HEAD and follows redirects (a registry may hand blobs out from
    /// elsewhere); `authorization` goes only to the URL's own origin, as Go's client does.
    pub(crate) async fn get_following(
        &self,
        tls: &Tls,
        method: Method,
        url: &str,
        headers: &[(hyper::header::HeaderName, HeaderValue)],
        authorization: Option<HeaderValue>,
    ) -> Result<Response<Incoming>, RequestError> {
        let origin = origin_of(url);
        let mut current = url.to_owned();
        for _ in 0..=MAX_REDIRECTS {
            let mut b = Request::builder().method(method.clone()).uri(&current);
            for (k, v) in headers {
                b = b.header(k, v);
            }
            if let Some(a) = &authorization
                && origin_of(&current) == origin
            {
                b = b.header(AUTHORIZATION, a.clone());
            }
            let request = b
                .body(body::empty())
                .map_err(|e| RequestError::Transport(format!("invalid URL {current:?}: {e}")))?;
            let response = self.send(tls, request).await?;
            let redirect = matches!(
                response.status(),
                StatusCode::MOVED_PERMANENTLY
                    | StatusCode::FOUND
                    | StatusCode::SEE_OTHER
                    | StatusCode::TEMPORARY_REDIRECT
                    | StatusCode::PERMANENT_REDIRECT
            );
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok());
            match (redirect, location) {
                (true, Some(l)) => current = resolve(&current, l),
                _ => return Ok(response),
            }
        }
        Err(RequestError::Transport(format!(
            "stopped after {MAX_REDIRECTS} redirects"
        )))
    }
}

/// A `Basic` authorization header value.
pub(crate) fn basic_auth(username: &str, password: &str) -> HeaderValue {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    let mut v =
        HeaderValue::from_str(&format!("Basic {encoded}")).expect("base64 is a valid header value");
    v.set_sensitive(true);
    v
}

/// `scheme://authority` of a URL.
pub(crate) fn origin_of(url: &str) -> String {
    match url.parse::<Uri>() {
        Ok(u) => format!(
            "{}://{}",
            u.scheme_str().unwrap_or_default(),
            u.authority().map(|a| a.as_str()).unwrap_or_default()
        ),
        Err(_) => String::new(),
    }
}

/// A `Location` (absolute, or relative to `base`) as an absolute URL.
pub(crate) fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        location.to_owned()
    } else if location.starts_with("//") {
        let scheme = base.split("://").next().unwrap_or("https");
        format!("{scheme}:{location}")
    } else if location.starts_with('/') {
        format!("{}{location}", origin_of(base))
    } else {
        let dir = base.rsplit_once('/').map_or(base, |(d, _)| d);
        format!("{dir}/{location}")
    }
}

/// An error and its causes, joined as Go's wrapped errors read.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_against_the_request() {
        let base = "https://reg:5000/v2/x/blobs/sha256:ab";
        assert_eq!(resolve(base, "https://s3/b?x=1"), "https://s3/b?x=1");
        assert_eq!(resolve(base, "/v2/y"), "https://reg:5000/v2/y");
        assert_eq!(resolve(base, "//cdn/b"), "https://cdn/b");
        assert_eq!(resolve(base, "c"), "https://reg:5000/v2/x/blobs/c");
        assert_eq!(origin_of(base), "https://reg:5000");
        assert_eq!(
            basic_auth("u", "p").to_str().unwrap(),
            "Basic dTpw",
            "base64 of u:p"
        );
    }
}

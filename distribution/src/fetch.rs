//! A plain HTTP(S) GET outside any registry, for the builder's remote contexts (moby's
//! `GetWithStatusError`): redirects followed, the system's roots for TLS, the whole body read.

use http_body_util::BodyExt;
use hyper::Method;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};

use crate::endpoint::Tls;
use crate::transport::Transport;

/// What a GET answered.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The status code.
    pub status: u16,
    /// The status as Go's `resp.Status` shows it (`404 Not Found`).
    pub status_line: String,
    /// The `Content-Type` header, empty when absent.
    pub content_type: String,
    /// The `Content-Length` header, if any.
    pub content_length: Option<u64>,
    /// The body.
    pub body: Vec<u8>,
}

/// GETs `url` with `user_agent`; a failure is the connection's (no answer at all).
pub async fn fetch(url: &str, user_agent: &str) -> Result<Fetched, String> {
    let transport = Transport::new(None, user_agent).map_err(|e| e.to_string())?;
    let tls = Tls::Verify { certs_host: None };
    let response = transport
        .get_following(&tls, Method::GET, url, &[], None)
        .await
        .map_err(|e| format!("Get {url:?}: {e}"))?;
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(CONTENT_TYPE).unwrap_or_default();
    let content_length = header(CONTENT_LENGTH).and_then(|l| l.parse().ok());
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("Get {url:?}: reading the body: {e}"))?
        .to_bytes()
        .to_vec();
    Ok(Fetched {
        status: status.as_u16(),
        status_line: format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .trim_end()
        .to_owned(),
        content_type,
        content_length,
        body,
    })
}

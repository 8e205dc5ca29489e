//! The `/v1.NN` path prefix: checked against the supported range, stripped before routing, and
//! recorded in the request's extensions as [`ApiVersion`].
//!
//! This wraps the whole router (a `Router::layer` would run after routing, too late to rewrite
//! the path). Every response gets the `Api-Version` and `Server` headers, as dockerd sends them.

use std::cmp::Ordering;
use std::fmt;

use axum::extract::Request;
use axum::http::{HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Error;

/// The highest (and default) API version this daemon speaks.
pub const API_VERSION: ApiVersion = ApiVersion {
    major: 1,
    minor: 47,
};
/// The oldest API version this daemon accepts.
pub const MIN_API_VERSION: ApiVersion = ApiVersion {
    major: 1,
    minor: 24,
};

/// An Engine API version such as `1.47`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    /// The major number (always 1 so far).
    pub major: u32,
    /// The minor number.
    pub minor: u32,
}

impl ApiVersion {
    /// Parses `1.47`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let (major, minor) = s.split_once('.')?;
        Some(ApiVersion {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Splits `/v1.43/containers/json` into `("1.43", "/containers/json")`; `None` without a prefix.
fn split_prefix(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/v")?;
    let end = rest.find('/').unwrap_or(rest.len());
    let (version, tail) = rest.split_at(end);
    let plausible = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    plausible.then_some((version, if tail.is_empty() { "/" } else { tail }))
}

/// Checks a requested version against the supported range, with Docker's messages.
fn check(requested: &str) -> Result<ApiVersion, Error> {
    let v = ApiVersion::parse(requested)
        .ok_or_else(|| Error::invalid(format!("invalid API version: {requested}")))?;
    match (v.cmp(&MIN_API_VERSION), v.cmp(&API_VERSION)) {
        (Ordering::Less, _) => Err(Error::invalid(format!(
            "client version {requested} is too old. Minimum supported API version is \
             {MIN_API_VERSION}, please upgrade your client to a newer version"
        ))),
        (_, Ordering::Greater) => Err(Error::invalid(format!(
            "client version {requested} is too new. Maximum supported API version is {API_VERSION}"
        ))),
        _ => Ok(v),
    }
}

/// The middleware: strip and check the version prefix, then stamp the common headers.
pub async fn layer(mut req: Request, next: Next) -> Response {
    let prefix = split_prefix(req.uri().path()).map(|(v, tail)| (v.to_owned(), tail.to_owned()));
    let mut resp = match prefix {
        None => {
            req.extensions_mut().insert(API_VERSION);
            next.run(req).await
        }
        Some((requested, tail)) => match check(&requested) {
            Err(e) => e.into_response(),
            Ok(v) => {
                let path_and_query = match req.uri().query() {
                    Some(q) => format!("{tail}?{q}"),
                    None => tail,
                };
                match Uri::try_from(path_and_query) {
                    Ok(uri) => {
                        *req.uri_mut() = uri;
                        req.extensions_mut().insert(v);
                        next.run(req).await
                    }
                    Err(_) => Error::invalid("invalid request path").into_response(),
                }
            }
        },
    };
    let headers = resp.headers_mut();
    headers.insert("Api-Version", HeaderValue::from_static("1.47"));
    headers.insert(
        "Server",
        HeaderValue::from_static(concat!("Wharf/", env!("CARGO_PKG_VERSION"), " (linux)")),
    );
    headers.insert("Ostype", HeaderValue::from_static("linux"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_split_and_check() {
        assert_eq!(split_prefix("/v1.43/info"), Some(("1.43", "/info")));
        assert_eq!(split_prefix("/v1.47"), Some(("1.47", "/")));
        assert_eq!(split_prefix("/version"), None);
        assert_eq!(split_prefix("/volumes"), None);
        assert!(check("1.24").is_ok() && check("1.47").is_ok());
        let e = check("1.50").unwrap_err();
        assert_eq!(
            e.message,
            "client version 1.50 is too new. Maximum supported API version is 1.47"
        );
        assert!(check("1.11").unwrap_err().message.contains("is too old"));
        assert!(check("1.x").is_err());
        assert_eq!(API_VERSION.to_string(), "1.47");
    }
}

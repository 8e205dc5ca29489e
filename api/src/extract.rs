//! Extractors that reject malformed input the way Docker does: a 400 with `{"message": ...}`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

use crate::Error;

/// Query parameters, deserialised into `T`; a malformed query is a 400 in Docker's shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| Error::invalid(e.body_text()))
    }
}

/// Path parameters, deserialised into `T`; one that is not valid (e.g. not UTF-8 once
/// percent-decoded) is a 400 in Docker's shape, never axum's plain-text rejection.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| Error::invalid(e.body_text()))
    }
}

/// A JSON body, deserialised into `T`; a malformed body is a 400 in Docker's shape.
///
/// Unknown fields are accepted (the CLI sends fields a daemon may not implement). A large body
/// is decoded on the blocking pool, so it never holds up the async side that serves everyone
/// else.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Bodies at least this large are decoded off the async side.
const DECODE_OFF_THREAD: usize = 64 * 1024;

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned + Send + 'static,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(Error::invalid(
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Error::invalid(e.body_text()))?;
        let large = bytes.len() >= DECODE_OFF_THREAD;
        let decode = move || {
            axum::Json::<T>::from_bytes(&bytes)
                .map(|j| Json(j.0))
                .map_err(|e: JsonRejection| Error::invalid(e.body_text()))
        };
        if !large {
            return decode();
        }
        tokio::task::spawn_blocking(decode)
            .await
            .map_err(|e| Error::system(format!("decoding the request body: {e}")))?
    }
}
/// `Content-Type: application/json`, or another JSON type (`application/*+json`), as axum's
/// own `Json` requires.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A query boolean as moby reads it (`BoolValue`): for a query struct's field,
/// `#[serde(default, deserialize_with = "moby_bool")]` (absent is false too).
pub fn moby_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let raw = String::deserialize(d)?;
    Ok(bool_value(&raw))
}

/// moby's rule: `""`, `0`, `no`, `false` and `none` (in any case, spaces around) are false,
/// anything else is true.
pub(crate) fn bool_value(v: &str) -> bool {
    !matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "no" | "false" | "none"
    )
}

/// A query string as its `key=value` pairs, in order, for operations that read repeated keys
/// (`changes=`) or tell an absent key from an empty one.
pub(crate) fn query_pairs(q: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    serde_urlencoded::from_str(q.unwrap_or("")).map_err(|e| Error::invalid(e.to_string()))
}

/// The first value of `key` among `pairs`.
pub(crate) fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::moby_bool;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Q {
        #[serde(deserialize_with = "moby_bool")]
        force: bool,
    }

    fn force(query: &str) -> bool {
        serde_urlencoded::from_str::<Q>(query).expect("query").force
    }

    #[test]
    fn query_booleans_follow_moby() {
        for f in [
            "",
            "force",
            "force=",
            "force=0",
            "force=no",
            "force=False",
            "force=none",
            "force=%20no%20",
        ] {
            assert!(!force(f), "{f:?}");
        }
        for t in ["force=1", "force=true", "force=yes", "force=anything"] {
            assert!(force(t), "{t:?}");
        }
    }
}

//! Extractors that reject malformed input the way Docker does: a 400 with `{"message": ...}`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

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

/// Reads a query boolean as moby does: absent, `""`, `0`, `no`, `false` and `none` are false.
pub fn bool_value(v: Option<&str>) -> bool {
    match v {
        None => false,
        Some(s) => !matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "no" | "false" | "none"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::bool_value;

    #[test]
    fn query_booleans_follow_moby() {
        for f in [
            None,
            Some(""),
            Some("0"),
            Some("no"),
            Some("False"),
            Some("none"),
        ] {
            assert!(!bool_value(f), "{f:?}");
        }
        for t in [Some("1"), Some("true"), Some("yes"), Some("anything")] {
            assert!(bool_value(t), "{t:?}");
        }
    }
}

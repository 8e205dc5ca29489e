//! JSON answers whose size grows with what users made (lists, inspects): serialised on the
//! blocking pool, so a large answer never holds up the async side that serves everyone else.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::Error;

/// `value` as a `200 application/json` answer, serialised off the async side.
pub(crate) async fn large_json<T>(value: T) -> Result<Response, Error>
where
    T: Serialize + Send + 'static,
{
    let body = tokio::task::spawn_blocking(move || serde_json::to_vec(&value))
        .await
        .map_err(|e| Error::system(format!("serialising the answer: {e}")))?
        .map_err(|e| Error::system(format!("serialising the answer: {e}")))?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

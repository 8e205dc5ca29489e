//! `/images`.
//!
//! Image names may contain slashes (`localhost:5000/team/app:1`), so everything below
//! `/images/` that is not a fixed route is one wildcard, and the operation is read from its last
//! segment (`/json`, `/history`, `/get`, `/tag`), as moby's `{name:.*}` routes do.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use crate::backend::{
    ByteStream, ImageListOptions, ImportOptions, MessageStream, PullOptions, PushOptions,
};
use crate::extract::{Path, Query, moby_bool};
use crate::filters::Filters;
use crate::respond::large_json;
use crate::types::AuthConfig;
use crate::{Backend, Error, ErrorKind};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/images/json", get(image_list::<B>))
        .route("/images/load", post(image_load::<B>))
        .route("/images/get", get(image_save_many::<B>))
        .route("/images/create", post(image_create::<B>))
        .route(
            "/images/{*name}",
            get(image_get::<B>)
                .post(image_post::<B>)
                .delete(image_delete::<B>),
        )
}

/// The filters `GET /images/json` accepts.
const LIST_FILTERS: &[&str] = &["dangling", "reference", "label", "before", "since", "until"];

/// `GET /images/json` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    #[serde(deserialize_with = "moby_bool")]
    all: bool,
    #[serde(deserialize_with = "moby_bool")]
    digests: bool,
    #[serde(rename = "shared-size", deserialize_with = "moby_bool")]
    shared_size: bool,
    filters: Option<String>,
}

/// `POST /images/{name}/tag` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TagQuery {
    repo: String,
    tag: String,
}

/// `DELETE /images/{name}` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeleteQuery {
    #[serde(deserialize_with = "moby_bool")]
    force: bool,
    #[serde(deserialize_with = "moby_bool")]
    noprune: bool,
}

/// `POST /images/load` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoadQuery {
    #[serde(deserialize_with = "moby_bool")]
    quiet: bool,
}

/// `GET /images/json`.
async fn image_list<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Error> {
    let filters = Filters::parse(q.filters.as_deref())?;
    filters.only(LIST_FILTERS)?;
    let opts = ImageListOptions {
        all: q.all,
        digests: q.digests,
        shared_size: q.shared_size,
        filters,
    };
    large_json(b.image_list(opts).await?).await
}

/// `GET /images/{name}/json|history|get`.
async fn image_get<B: Backend>(
    State(b): State<Arc<B>>,
    Path(path): Path<String>,
) -> Result<Response, Error> {
    let (name, op) = split_op(&path)?;
    match op {
        "json" => Ok(axum::Json(b.image_inspect(name).await?).into_response()),
        "history" => Ok(axum::Json(b.image_history(name).await?).into_response()),
        "get" => Ok(tar(b.image_save(vec![name.to_owned()]).await?)),
        _ => Err(Error::not_found("page not found")),
    }
}

/// `POST /images/{name}/tag` and `POST /images/{name}/push` (whose query is `tag=` too).
async fn image_post<B: Backend>(
    State(b): State<Arc<B>>,
    Path(path): Path<String>,
    Query(q): Query<TagQuery>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (name, op) = split_op(&path)?;
    let tag = Some(q.tag.as_str()).filter(|t| !t.is_empty());
    match op {
        "tag" => {
            b.image_tag(name, &q.repo, tag).await?;
            Ok(StatusCode::CREATED.into_response())
        }
        "push" => {
            let opts = PushOptions {
                name: name.to_owned(),
                tag: tag.map(str::to_owned),
                auth: registry_auth(&headers),
            };
            Ok(json_lines(b.image_push(opts).await?))
        }
        _ => Err(Error::not_found("page not found")),
    }
}

/// `DELETE /images/{name}`.
async fn image_delete<B: Backend>(
    State(b): State<Arc<B>>,
    Path(name): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Result<Response, Error> {
    Ok(axum::Json(b.image_delete(&name, q.force, q.noprune).await?).into_response())
}

/// `POST /images/load`.
async fn image_load<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<LoadQuery>,
    body: Body,
) -> Result<Response, Error> {
    Ok(json_lines(b.image_load(byte_stream(body), q.quiet).await?))
}

/// `GET /images/get?names=a&names=b`.
async fn image_save_many<B: Backend>(
    State(b): State<Arc<B>>,
    RawQuery(q): RawQuery,
) -> Result<Response, Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q.as_deref().unwrap_or(""))
        .map_err(|e| Error::invalid(e.to_string()))?;
    let names: Vec<String> = pairs
        .into_iter()
        .filter(|(k, _)| k == "names")
        .map(|(_, v)| v)
        .collect();
    Ok(tar(b.image_save(names).await?))
}

/// `POST /images/create`: pull (`fromImage=`) or import (`fromSrc=-`).
async fn image_create<B: Backend>(
    State(b): State<Arc<B>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q.as_deref().unwrap_or(""))
        .map_err(|e| Error::invalid(e.to_string()))?;
    let one = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    if let Some(image) = one("fromImage") {
        let opts = PullOptions {
            image,
            tag: one("tag"),
            platform: one("platform"),
            auth: registry_auth(&headers),
        };
        return Ok(json_lines(b.image_pull(opts).await?));
    }
    match one("fromSrc").as_deref() {
        Some("-") => {}
        Some(url) => {
            return Err(Error::new(
                ErrorKind::NotImplemented,
                format!("importing from {url} is not supported: send the tar in the request body"),
            ));
        }
        None => return Err(Error::invalid("fromImage or fromSrc is required")),
    }
    let opts = ImportOptions {
        repo: one("repo"),
        tag: one("tag"),
        message: one("message"),
        changes: pairs
            .iter()
            // An empty one is passed on too: dockerd refuses it ("file with no instructions").
            .filter(|(k, _)| k == "changes")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    Ok(json_lines(b.image_import(byte_stream(body), opts).await?))
}

/// `name/json` → (`name`, `json`).
fn split_op(path: &str) -> Result<(&str, &str), Error> {
    match path.rsplit_once('/') {
        Some((name, op)) if !name.is_empty() => Ok((name, op)),
        _ => Err(Error::not_found("page not found")),
    }
}

/// The credentials of the `X-Registry-Auth` header; as dockerd, a header that does not decode
/// is no credentials.
pub(super) fn registry_auth(headers: &HeaderMap) -> Option<AuthConfig> {
    headers
        .get("X-Registry-Auth")
        .and_then(|v| v.to_str().ok())
        .and_then(AuthConfig::from_header)
        .filter(|a| !a.is_empty())
}

pub(super) fn byte_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

/// A jsonmessage stream: one JSON object per line, sent as each is produced.
pub(super) fn json_lines(stream: MessageStream) -> Response {
    let lines = stream.map(|m| {
        let mut line = serde_json::to_vec(&m).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, std::io::Error>(bytes::Bytes::from(line))
    });
    (
        [(CONTENT_TYPE, "application/json")],
        Body::from_stream(lines),
    )
        .into_response()
}

fn tar(stream: ByteStream) -> Response {
    (
        [(CONTENT_TYPE, "application/x-tar")],
        Body::from_stream(stream),
    )
        .into_response()
}

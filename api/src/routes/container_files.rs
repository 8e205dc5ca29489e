//! `docker cp` (`/containers/{id}/archive`: `HEAD` stats, `GET` reads, `PUT` writes),
//! `docker export`, `docker diff` (`/changes`) and `docker commit` (`POST /commit`).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use futures::TryStreamExt;
use serde::Deserialize;

use crate::backend::{ByteStream, CommitOptions, ContainerPathStat, ExtractOptions};
use crate::encoding;
use crate::extract::{Path, Query, bool_value, first, moby_bool, query_pairs};
use crate::types::ContainerConfig;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route(
            "/containers/{id}/archive",
            get(container_archive::<B>)
                .head(container_stat_path::<B>)
                .put(container_extract::<B>),
        )
        .route("/containers/{id}/export", get(container_export::<B>))
        .route("/containers/{id}/changes", get(container_changes::<B>))
        .route("/commit", post(container_commit::<B>))
}

/// The header that carries a path's stat.
const PATH_STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// `/containers/{id}/archive` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ArchiveQuery {
    path: String,
    #[serde(rename = "noOverwriteDirNonDir", deserialize_with = "moby_bool")]
    no_overwrite_dir_non_dir: bool,
    #[serde(rename = "copyUIDGID", deserialize_with = "moby_bool")]
    copy_uid_gid: bool,
}

impl ArchiveQuery {
    /// moby's `ArchiveFormValues`: a path is required (its message, missing space included).
    fn path(&self) -> Result<&str, Error> {
        if self.path.is_empty() {
            return Err(Error::invalid("bad parameter: pathcannot be empty"));
        }
        Ok(&self.path)
    }
}

/// The stat header's value: base64 of the stat's JSON.
fn stat_header(stat: &ContainerPathStat) -> Result<HeaderValue, Error> {
    let json = serde_json::to_vec(stat)
        .map_err(|e| Error::new(crate::ErrorKind::System, e.to_string()))?;
    let text = base64::engine::general_purpose::STANDARD.encode(json);
    HeaderValue::from_str(&text).map_err(|e| Error::new(crate::ErrorKind::System, e.to_string()))
}

/// `HEAD /containers/{id}/archive`.
async fn container_stat_path<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<ArchiveQuery>,
) -> Result<Response, Error> {
    let stat = b.container_stat_path(&id, q.path()?).await?;
    Ok(([(PATH_STAT_HEADER, stat_header(&stat)?)], ()).into_response())
}

/// `GET /containers/{id}/archive`.
/// The tar is compressed when the client's `Accept-Encoding` asks for it (see
/// [`crate::encoding`]).
async fn container_archive<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<ArchiveQuery>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (stat, tar) = b.container_archive(&id, q.path()?).await?;
    let encoding = encoding::negotiate(&headers);
    let tar = match encoding {
        Some(e) => encoding::compress(tar, e),
        None => tar,
    };
    let mut resp = (
        [
            (PATH_STAT_HEADER, stat_header(&stat)?),
            (
                CONTENT_TYPE.as_str(),
                HeaderValue::from_static("application/x-tar"),
            ),
        ],
        Body::from_stream(tar),
    )
        .into_response();
    if let Some(e) = encoding {
        resp.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static(e.name()));
    }
    Ok(resp)
}

/// `PUT /containers/{id}/archive`.
async fn container_extract<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<ArchiveQuery>,
    body: Body,
) -> Result<StatusCode, Error> {
    let opts = ExtractOptions {
        path: q.path()?.to_owned(),
        no_overwrite_dir_non_dir: q.no_overwrite_dir_non_dir,
        copy_uid_gid: q.copy_uid_gid,
    };
    let body: ByteStream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    b.container_extract(&id, opts, body).await?;
    Ok(StatusCode::OK)
}

/// `GET /containers/{id}/export`.
async fn container_export<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let tar = b.container_export(&id).await?;
    Ok((
        [(CONTENT_TYPE, "application/x-tar")],
        Body::from_stream(tar),
    )
        .into_response())
}

/// `GET /containers/{id}/changes`.
async fn container_changes<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    Ok(axum::Json(b.container_changes(&id).await?).into_response())
}

/// `POST /commit`: the query names the container and the new image; the body, if any, is
/// the new image's config.
async fn container_commit<B: Backend>(
    State(b): State<Arc<B>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, Error> {
    let pairs = query_pairs(q.as_deref())?;
    let one = |key: &str| first(&pairs, key).unwrap_or_default().to_owned();
    let pause = first(&pairs, "pause").is_none_or(bool_value);
    let text = std::str::from_utf8(&body).unwrap_or("").trim();
    let config = if text.is_empty() || text == "null" {
        None
    } else {
        Some(
            serde_json::from_str::<ContainerConfig>(text)
                .map_err(|e| Error::invalid(e.to_string()))?,
        )
    };
    let opts = CommitOptions {
        container: one("container"),
        repo: one("repo"),
        tag: one("tag"),
        comment: one("comment"),
        author: one("author"),
        pause,
        changes: pairs
            .iter()
            .filter(|(k, _)| k == "changes")
            .map(|(_, v)| v.clone())
            .collect(),
        config,
    };
    let id = b.container_commit(opts).await?;
    Ok((StatusCode::CREATED, axum::Json(id)).into_response())
}

//! `/containers/{id}/pause`, `/unpause`, `/rename`, `/top`, `/stats` and `/update`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json as AxumJson};
use futures::StreamExt;
use serde::Deserialize;

use crate::backend::StatsOptions;
use crate::extract::{Json, Path, Query, moby_bool};
use crate::stream::json_line;
use crate::types::ContainerUpdateRequest;
use crate::version::ApiVersion;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/containers/{id}/pause", post(container_pause::<B>))
        .route("/containers/{id}/unpause", post(container_unpause::<B>))
        .route("/containers/{id}/rename", post(container_rename::<B>))
        .route("/containers/{id}/top", get(container_top::<B>))
        .route("/containers/{id}/stats", get(container_stats::<B>))
        .route("/containers/{id}/update", post(container_update::<B>))
}

/// `POST /containers/{id}/rename` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RenameQuery {
    name: String,
}

/// `GET /containers/{id}/top` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TopQuery {
    ps_args: String,
}

/// `GET /containers/{id}/stats` query: `stream` is true unless given (moby's
/// `BoolValueOrDefault`).
#[derive(Debug, Deserialize)]
#[serde(default)]
struct StatsQuery {
    #[serde(deserialize_with = "moby_bool")]
    stream: bool,
    #[serde(rename = "one-shot", deserialize_with = "moby_bool")]
    one_shot: bool,
}

impl Default for StatsQuery {
    fn default() -> Self {
        StatsQuery {
            stream: true,
            one_shot: false,
        }
    }
}

/// API 1.41, where `one-shot` appeared, and 1.40, below which `PidsLimit` is ignored.
const V1_41: ApiVersion = ApiVersion {
    major: 1,
    minor: 41,
};
const V1_40: ApiVersion = ApiVersion {
    major: 1,
    minor: 40,
};

/// `POST /containers/{id}/pause`.
async fn container_pause<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    b.container_pause(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /containers/{id}/unpause`.
async fn container_unpause<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    b.container_unpause(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /containers/{id}/rename?name=`.
async fn container_rename<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<RenameQuery>,
) -> Result<StatusCode, Error> {
    b.container_rename(&id, &q.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /containers/{id}/top?ps_args=`.
async fn container_top<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<TopQuery>,
) -> Result<Response, Error> {
    Ok(AxumJson(b.container_top(&id, &q.ps_args).await?).into_response())
}

/// `GET /containers/{id}/stats`: one JSON line per sample. A single sample is
/// `application/json`; a stream has no declared type, as dockerd's.
async fn container_stats<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Extension(v): Extension<ApiVersion>,
    Query(q): Query<StatsQuery>,
) -> Result<Response, Error> {
    let opts = StatsOptions {
        stream: q.stream,
        one_shot: q.one_shot && v >= V1_41,
    };
    let samples = b.container_stats(&id, opts).await?;
    let body = Body::from_stream(samples.map(|s| Ok::<_, Infallible>(json_line(&s))));
    if opts.stream {
        return Ok(body.into_response());
    }
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

/// `POST /containers/{id}/update`: `PidsLimit` ignored below API 1.40, and 0 or less is
/// "unlimited" (0), as moby's router does.
async fn container_update<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Extension(v): Extension<ApiVersion>,
    Json(mut req): Json<ContainerUpdateRequest>,
) -> Result<Response, Error> {
    if v < V1_40 {
        req.pids_limit = None;
    }
    if req.pids_limit.is_some_and(|l| l <= 0) {
        req.pids_limit = Some(0);
    }
    Ok(AxumJson(b.container_update(&id, req).await?).into_response())
}

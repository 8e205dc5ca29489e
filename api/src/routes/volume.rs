//! `/volumes`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;

use crate::extract::{Json, Path, Query, moby_bool};
use crate::filters::Filters;
use crate::types::{Volume, VolumeCreateOptions, VolumeListResponse};
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/volumes", get(volume_list::<B>))
        .route("/volumes/create", post(volume_create::<B>))
        .route("/volumes/{name}", get(volume_inspect::<B>))
        .route("/volumes/{name}", delete(volume_delete::<B>))
}

/// The filters `GET /volumes` accepts.
const LIST_FILTERS: &[&str] = &["name", "driver", "label", "dangling"];

/// `GET /volumes` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    filters: Option<String>,
}

/// `DELETE /volumes/{name}` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeleteQuery {
    #[serde(deserialize_with = "moby_bool")]
    force: bool,
}

/// `POST /volumes/create`: 201 with the volume.
async fn volume_create<B: Backend>(
    State(b): State<Arc<B>>,
    Json(opts): Json<VolumeCreateOptions>,
) -> Result<Response, Error> {
    let v = b.volume_create(opts).await?;
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

/// `GET /volumes`.
async fn volume_list<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<VolumeListResponse>, Error> {
    let filters = Filters::parse(q.filters.as_deref())?;
    filters.only(LIST_FILTERS)?;
    Ok(axum::Json(VolumeListResponse {
        volumes: b.volume_list(filters).await?,
        warnings: None,
    }))
}

/// `GET /volumes/{name}`.
async fn volume_inspect<B: Backend>(
    State(b): State<Arc<B>>,
    Path(name): Path<String>,
) -> Result<axum::Json<Volume>, Error> {
    Ok(axum::Json(b.volume_inspect(&name).await?))
}

/// `DELETE /volumes/{name}`: 204.
async fn volume_delete<B: Backend>(
    State(b): State<Arc<B>>,
    Path(name): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Result<StatusCode, Error> {
    b.volume_delete(&name, q.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

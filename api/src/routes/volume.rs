//! `/volumes`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;

use crate::extract::{Json, Path, Query, bool_value};
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

/// Query parameters, as clients send them.
#[derive(Debug, Default, Deserialize)]
struct Params {
    filters: Option<String>,
    force: Option<String>,
}

/// `POST /volumes/create`: 201 with the volume.
async fn volume_create<B: Backend>(
    State(b): State<Arc<B>>,
    Json(opts): Json<VolumeCreateOptions>,
) -> Result<Response, Error> {
    let v = b.volume_create(opts).await?;
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

/// `GET /volumes`: filters `name` (substring), `driver`, `label` (`key` or `key=value`) and
/// `dangling`, as moby's volume service applies them.
async fn volume_list<B: Backend>(
    State(b): State<Arc<B>>,
    Query(p): Query<Params>,
) -> Result<axum::Json<VolumeListResponse>, Error> {
    let f = Filters::parse(p.filters.as_deref())?;
    f.only(&["name", "driver", "label", "dangling"])?;
    let mut dangling = None;
    for v in f.get("dangling") {
        dangling = Some(match v.to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(Error::invalid(format!("invalid filter 'dangling={v}'"))),
        });
    }
    let volumes = b
        .volume_list()
        .await?
        .into_iter()
        .filter(|l| {
            let v = &l.volume;
            f.any("name", |n| v.name.contains(n))
                && f.any("driver", |d| v.driver == d)
                && f.any("label", |l| match l.split_once('=') {
                    Some((k, val)) => v.labels.get(k).is_some_and(|x| x == val),
                    None => v.labels.contains_key(l),
                })
                && dangling.is_none_or(|d| d != l.in_use)
        })
        .map(|l| l.volume)
        .collect();
    Ok(axum::Json(VolumeListResponse {
        volumes,
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
    Query(p): Query<Params>,
) -> Result<StatusCode, Error> {
    b.volume_delete(&name, bool_value(p.force.as_deref()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

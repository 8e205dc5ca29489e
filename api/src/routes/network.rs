//! `/networks`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::extract::{Json as Body, Path, Query};
use crate::filters::Filters;
use crate::types::{
    Network, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
};
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/networks", get(network_list::<B>))
        .route("/networks/create", post(network_create::<B>))
        .route(
            "/networks/{id}",
            get(network_inspect::<B>).delete(network_delete::<B>),
        )
        .route("/networks/{id}/connect", post(network_connect::<B>))
        .route("/networks/{id}/disconnect", post(network_disconnect::<B>))
}

/// The filters `GET /networks` accepts (moby's `acceptedFilters`).
const LIST_FILTERS: &[&str] = &["name", "id", "driver", "type", "scope", "label", "dangling"];

/// `GET /networks` query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    filters: Option<String>,
}

/// `GET /networks`.
async fn network_list<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Network>>, Error> {
    let filters = Filters::parse(q.filters.as_deref())?;
    filters.only(LIST_FILTERS)?;
    Ok(Json(b.network_list(filters).await?))
}

/// `GET /networks/{id}`.
async fn network_inspect<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Json<Network>, Error> {
    Ok(Json(b.network_inspect(&id).await?))
}

/// `POST /networks/create`: 201 with the ID.
async fn network_create<B: Backend>(
    State(b): State<Arc<B>>,
    Body(req): Body<NetworkCreateRequest>,
) -> Result<Response, Error> {
    let created = b.network_create(req).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `DELETE /networks/{id}`: 204.
async fn network_delete<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    b.network_delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /networks/{id}/connect`: 200.
async fn network_connect<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Body(req): Body<NetworkConnectRequest>,
) -> Result<StatusCode, Error> {
    b.network_connect(&id, req).await?;
    Ok(StatusCode::OK)
}

/// `POST /networks/{id}/disconnect`: 200.
async fn network_disconnect<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Body(req): Body<NetworkDisconnectRequest>,
) -> Result<StatusCode, Error> {
    b.network_disconnect(&id, req).await?;
    Ok(StatusCode::OK)
}

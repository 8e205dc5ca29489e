//! `/networks`.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::extract::{Path, Query};
use crate::filters::Filters;
use crate::types::Network;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/networks", get(network_list::<B>))
        .route("/networks/{id}", get(network_inspect::<B>))
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

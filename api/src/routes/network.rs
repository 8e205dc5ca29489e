//! `/networks`.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::extract::Path;
use crate::extract::Query;
use crate::filters::Filters;
use crate::types::Network;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/networks", get(network_list::<B>))
        .route("/networks/{id}", get(network_inspect::<B>))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    filters: Option<String>,
}

/// `GET /networks`.
async fn network_list<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Network>>, Error> {
    let f = Filters::parse(q.filters.as_deref())?;
    f.only(&["name", "id", "driver", "type", "scope", "label", "dangling"])?;
    for t in f.get("type") {
        if t != "custom" && t != "builtin" {
            return Err(Error::invalid(format!("invalid filter: 'type'='{t}'")));
        }
    }
    let list = b
        .networks()
        .into_iter()
        .filter(|n| {
            f.any("name", |v| n.name.contains(v))
                && f.any("id", |v| n.id.contains(v))
                && f.any("driver", |v| n.driver == v)
                && f.any("scope", |v| n.scope == v)
                // The networks wharf has are the predefined ones: all builtin, none custom.
                && f.any("type", |v| v == "builtin")
                && f.any("label", |v| match v.split_once('=') {
                    Some((k, val)) => n.labels.get(k).is_some_and(|x| x == val),
                    None => n.labels.contains_key(v),
                })
                && f.any("dangling", |v| (v == "true" || v == "1") == n.containers.is_empty())
        })
        .collect();
    Ok(Json(list))
}

/// `GET /networks/{id}`: by exact name, full ID, or unique ID prefix.
async fn network_inspect<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Json<Network>, Error> {
    let list = b.networks();
    let not_found = || Error::not_found(format!("network {id} not found"));
    if let Some(n) = list.iter().find(|n| n.name == id || n.id == id) {
        return Ok(Json(n.clone()));
    }
    let mut by_prefix = list.into_iter().filter(|n| n.id.starts_with(&id));
    match (by_prefix.next(), by_prefix.next()) {
        (Some(n), None) if !id.is_empty() => Ok(Json(n)),
        (Some(_), Some(_)) => Err(Error::new(
            crate::ErrorKind::InvalidParameter,
            format!("network {id} is ambiguous"),
        )),
        _ => Err(not_found()),
    }
}

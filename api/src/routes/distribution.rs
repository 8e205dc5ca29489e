//! `/distribution`: what a registry holds under a name, without pulling it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};

use super::image::registry_auth;
use crate::extract::Path;
use crate::types::DistributionInspect;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new().route("/distribution/{*name}", get(distribution_inspect::<B>))
}

/// `GET /distribution/{name}/json` (the name may contain slashes, so its `/json` is read off
/// the end, as for images).
async fn distribution_inspect<B: Backend>(
    State(b): State<Arc<B>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Result<Json<DistributionInspect>, Error> {
    match path.rsplit_once('/') {
        Some((name, "json")) if !name.is_empty() => b
            .distribution_inspect(name, registry_auth(&headers))
            .await
            .map(Json),
        _ => Err(Error::not_found("page not found")),
    }
}

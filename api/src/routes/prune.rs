//! `POST /containers/prune`, `/images/prune`, `/volumes/prune`, `/networks/prune`,
//! `/build/prune` (what `docker system prune` composes), and `GET /system/df`.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;

use crate::extract::Query;
use crate::filters::Filters;
use crate::types::{
    BuildPruneResponse, ContainerPruneResponse, ImagePruneResponse, NetworkPruneResponse,
    SystemDataUsageResponse, VolumePruneResponse,
};
use crate::version::ApiVersion;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/containers/prune", post(container_prune::<B>))
        .route("/images/prune", post(image_prune::<B>))
        .route("/volumes/prune", post(volume_prune::<B>))
        .route("/networks/prune", post(network_prune::<B>))
        .route("/build/prune", post(build_prune::<B>))
        .route("/system/df", get(system_df::<B>))
}

/// The filters each prune accepts (moby's `Validate` lists).
const CONTAINER_FILTERS: &[&str] = &["label", "label!", "until"];
const IMAGE_FILTERS: &[&str] = &["dangling", "label", "label!", "until"];
const VOLUME_FILTERS: &[&str] = &["label", "label!", "all"];
const NETWORK_FILTERS: &[&str] = &["label", "label!", "until"];
/// dockerd's build prune's (buildkit's cache-record fields, `until` and its older name).
const BUILD_FILTERS: &[&str] = &[
    "until",
    "unused-for",
    "label",
    "label!",
    "id",
    "parent",
    "type",
    "description",
    "inuse",
    "shared",
    "private",
];

/// A prune's query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PruneQuery {
    filters: Option<String>,
}

impl PruneQuery {
    /// The filters, refused if a key is not one of `allowed`.
    fn filters(&self, allowed: &[&str]) -> Result<Filters, Error> {
        let f = Filters::parse(self.filters.as_deref())?;
        f.only(allowed)?;
        Ok(f)
    }
}

/// `POST /containers/prune`.
async fn container_prune<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<PruneQuery>,
) -> Result<Json<ContainerPruneResponse>, Error> {
    Ok(Json(
        b.container_prune(q.filters(CONTAINER_FILTERS)?).await?,
    ))
}

/// `POST /images/prune`.
async fn image_prune<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<PruneQuery>,
) -> Result<Json<ImagePruneResponse>, Error> {
    Ok(Json(b.image_prune(q.filters(IMAGE_FILTERS)?).await?))
}

/// `POST /volumes/prune`: below API 1.42 every unused volume counts, not only anonymous ones.
async fn volume_prune<B: Backend>(
    State(b): State<Arc<B>>,
    Extension(v): Extension<ApiVersion>,
    Query(q): Query<PruneQuery>,
) -> Result<Json<VolumePruneResponse>, Error> {
    let every = v < ApiVersion {
        major: 1,
        minor: 42,
    };
    Ok(Json(
        b.volume_prune(q.filters(VOLUME_FILTERS)?, every).await?,
    ))
}

/// `POST /networks/prune`.
async fn network_prune<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<PruneQuery>,
) -> Result<Json<NetworkPruneResponse>, Error> {
    Ok(Json(b.network_prune(q.filters(NETWORK_FILTERS)?).await?))
}

/// `POST /build/prune`'s query: a prune's, and how much cache to keep.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BuildPruneQuery {
    filters: Option<String>,
    /// Bytes of cache to keep (the oldest records go first).
    #[serde(rename = "keep-storage")]
    keep_storage: Option<String>,
}

/// `POST /build/prune`. Its `all` (also records in use or shared) selects nothing more here:
/// no record of wharf's build cache is ever in use or shared.
async fn build_prune<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<BuildPruneQuery>,
) -> Result<Json<BuildPruneResponse>, Error> {
    let filters = PruneQuery { filters: q.filters }.filters(BUILD_FILTERS)?;
    let keep = match q.keep_storage.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => match v.parse::<i64>() {
            Ok(0) => None,
            Ok(n) => Some(
                u64::try_from(n)
                    .map_err(|_| Error::invalid(format!("invalid keep-storage value: {v}")))?,
            ),
            Err(_) => return Err(Error::invalid(format!("invalid keep-storage value: {v}"))),
        },
    };
    Ok(Json(b.build_prune(filters, keep).await?))
}

/// `GET /system/df` (its `type` query only narrows what is computed; everything is).
async fn system_df<B: Backend>(
    State(b): State<Arc<B>>,
) -> Result<Json<SystemDataUsageResponse>, Error> {
    Ok(Json(b.system_df().await?))
}

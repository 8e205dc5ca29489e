//! The router: one file per resource, handlers named after the Docker operation.

mod build;
mod container;
mod container_files;
mod container_io;
mod container_ops;
mod distribution;
mod events;
mod exec;
mod image;
mod network;
mod prune;
mod system;
mod volume;

use std::sync::Arc;

use axum::Router;

use crate::{Backend, Error, version};

/// The whole API: every route, wrapped in the version-prefix layer.
///
/// The routes sit in an inner router that is the outer router's only (fallback) service, so
/// the version layer on the outer router runs before the inner one matches a path.
pub fn router<B: Backend>(backend: Arc<B>) -> Router {
    let routes = Router::new()
        .merge(system::routes::<B>())
        .merge(network::routes::<B>())
        .merge(image::routes::<B>())
        .merge(container::routes::<B>())
        .merge(container_io::routes::<B>())
        .merge(volume::routes::<B>())
        .merge(distribution::routes::<B>())
        .merge(events::routes::<B>())
        .merge(prune::routes::<B>())
        .merge(container_files::routes::<B>())
        .merge(container_ops::routes::<B>())
        .merge(exec::routes::<B>())
        .merge(build::routes::<B>())
        .fallback(page_not_found)
        .method_not_allowed_fallback(page_not_found)
        // Requests by route for the daemon's metrics (a no-op without an observer).
        .layer(axum::middleware::from_fn(crate::metrics::observe))
        .with_state(backend);
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::from_fn(version::layer))
}

/// Unknown routes and wrong methods, as moby answers them.
async fn page_not_found() -> Error {
    Error::not_found("page not found")
}

#[cfg(test)]
mod tests;

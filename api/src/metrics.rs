//! What the API tells the daemon's metrics: every request by method, route and status, with
//! its latency (a middleware on the router), the bytes of request bodies by route; and the
//! Prometheus endpoint itself (`--metrics-addr`), which serves what the daemon renders.
//!
//! The API knows nothing of Prometheus: the daemon implements [`ApiObserver`] and renders the
//! text; this crate only measures and serves HTTP.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use tokio::net::TcpListener;

/// The route label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";

/// Receives what the API measured.
pub trait ApiObserver: Send + Sync + std::fmt::Debug + 'static {
    /// A request answered: its method, route pattern (`/containers/{id}/start`, or
    /// [`UNMATCHED`]), status, and the time until the response's headers.
    fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration);

    /// `n` more bytes of a request body on `route` were read.
    fn request_bytes(&self, route: &str, n: u64);
}

/// The observer, as a request extension the serving layer inserts.
#[derive(Clone, Debug)]
pub(crate) struct Observer(pub(crate) Arc<dyn ApiObserver>);

/// The middleware on every route: times the request and counts its body's bytes.
pub(crate) async fn observe(req: Request, next: Next) -> Response {
    let Some(Observer(obs)) = req.extensions().get::<Observer>().cloned() else {
        return next.run(req).await;
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let (counter, counted_route) = (Arc::clone(&obs), route.clone());
    let body = Body::from_stream(body.into_data_stream().inspect(move |chunk| {
        if let Ok(c) = chunk {
            counter.request_bytes(&counted_route, c.len() as u64);
        }
    }));
    let resp = next.run(Request::from_parts(parts, body)).await;
    obs.request(&method, &route, resp.status().as_u16(), started.elapsed());
    resp
}

/// Serves `GET /metrics` (Prometheus text, as `render` makes it) on `listener` until
/// `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    render: Arc<dyn Fn() -> String + Send + Sync>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let render = Arc::clone(&render);
            async move {
                let text = tokio::task::spawn_blocking(move || render())
                    .await
                    .unwrap_or_default();
                (
                    [(
                        CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    text,
                )
                    .into_response()
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

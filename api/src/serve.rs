//! Serving the API on a listening socket (Unix, TCP, TLS), with a graceful, bounded shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::hijack::ConnFd;
use crate::{Backend, Listener, router};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long in-flight requests may run on after shutdown starts.
    pub drain_timeout: Duration,
    /// Told of every request (`--metrics-addr`).
    pub observer: Option<Arc<dyn crate::metrics::ApiObserver>>,
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting and lets
/// in-flight requests finish for at most `drain_timeout`. Returns `false` if the deadline cut
/// some requests short.
pub async fn serve<B: Backend>(
    listener: impl Into<Listener>,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    opts: ServeOptions,
) -> std::io::Result<bool> {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = started_tx.send(());
    };
    // Each connection's descriptor goes with its requests, for hijacked sessions.
    let mut app = router(backend);
    if let Some(obs) = opts.observer {
        app = app.layer(axum::Extension(crate::metrics::Observer(obs)));
    }
    let app = app.into_make_service_with_connect_info::<ConnFd>();
    let server = axum::serve(listener.into(), app).with_graceful_shutdown(signal);
    let server = std::pin::pin!(server.into_future());
    // Run until the server ends by itself, or until the drain deadline after shutdown began.
    let deadline = async move {
        if started_rx.await.is_ok() {
            tokio::time::sleep(opts.drain_timeout).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        res = server => res.map(|()| true),
        () = deadline => Ok(false),
    }
}

//! wharfd as a service (moby's `cmd/dockerd` around `NewDaemon`): the API's listeners on every
//! `-H` (Unix, TCP with or without TLS, sockets passed by systemd), systemd's notify protocol,
//! stopping containers at shutdown, and reloading settings on SIGHUP.

pub mod listeners;
pub mod log;
pub mod notify;
pub mod reload;
pub mod tls;

/// Starts `--metrics-addr`'s server (dockerd's `startMetricsServer`): Prometheus text at
/// `/metrics` until `shutdown`; it holds the daemon weakly, so shutdown can take it back.
pub async fn metrics_server(
    daemon: &std::sync::Arc<crate::daemon::Daemon>,
    addr: std::net::SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    crate::metrics::engine_info(daemon);
    let weak = std::sync::Arc::downgrade(daemon);
    let render = std::sync::Arc::new(move || crate::metrics::render(&weak));
    tracing::info!(%addr, "metrics listen");
    tokio::spawn(async move {
        if let Err(e) = api::metrics::serve_metrics(listener, render, shutdown).await {
            tracing::warn!(error = %e, "metrics server failed");
        }
    });
    Ok(())
}

//! Stopping every running container when the daemon shuts down without `--live-restore`
//! (moby's `Daemon.Shutdown` and `ShutdownTimeout`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use api::backend::StopOptions;
use api::types::ContainerStatus;

use super::Containers;

/// moby's grace on top of the longest stop timeout.
const GRACE_SECS: i64 = 5;
/// A container's stop timeout when it names none (moby's `DefaultStopTimeout`).
const DEFAULT_STOP_TIMEOUT: i64 = 10;

impl Containers {
    /// Whether the daemon is stopping its containers to shut down.
    pub(crate) fn shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::Relaxed)
    }

    /// Stops every running container at once, each with its stop signal and stop timeout, as
    /// dockerd does at SIGTERM. The whole waits at most `shutdown_timeout` seconds, or the
    /// longest stop timeout plus 5 s if that is longer (-1 on either: no limit); what still
    /// runs then keeps running, as after dockerd's "Force shutdown daemon".
    ///
    /// No restart policy applies meanwhile, and the stops are not a user's: at the next start
    /// `--restart always` and `unless-stopped` containers start again.
    pub async fn stop_for_shutdown(&self, shutdown_timeout: i64) {
        self.inner.shutting_down.store(true, Ordering::Relaxed);
        let running: Vec<_> = self
            .index()
            .all()
            .into_iter()
            .filter(|c| {
                matches!(
                    c.live().record.state.status,
                    ContainerStatus::Running | ContainerStatus::Paused
                )
            })
            .collect();
        if running.is_empty() {
            return;
        }
        let mut limit = Some(shutdown_timeout).filter(|t| *t >= 0);
        for c in &running {
            let t = c
                .live()
                .record
                .config
                .stop_timeout
                .unwrap_or(DEFAULT_STOP_TIMEOUT);
            limit = match limit {
                Some(_) if t < 0 => None,
                Some(l) => Some(l.max(t + GRACE_SECS)),
                None => None,
            };
        }
        tracing::info!(
            containers = running.len(),
            "stopping containers for shutdown"
        );
        let mut stops = tokio::task::JoinSet::new();
        for c in running {
            let this = self.clone();
            stops.spawn(async move {
                let _op = c.op.lock().await;
                match this.stop_with(&c, StopOptions::default(), false).await {
                    Ok(()) | Err(crate::error::Error::NotModified(_)) => {}
                    Err(e) => {
                        tracing::warn!(container = %c.id, error = %e, "stopping at shutdown failed")
                    }
                }
            });
        }
        let all = async { while stops.join_next().await.is_some() {} };
        match limit {
            None => all.await,
            Some(secs) => {
                let secs = u64::try_from(secs).unwrap_or(0);
                if tokio::time::timeout(Duration::from_secs(secs), all)
                    .await
                    .is_err()
                {
                    tracing::error!("Force shutdown daemon");
                }
            }
        }
    }
}

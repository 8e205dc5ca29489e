//! `stop`, `kill`, `restart` and `resize`: signals through runc, TTY sizes through the monitor.

use std::sync::Arc;
use std::time::Duration;

use api::backend::StopOptions;
use api::signal::Signal;
use api::types::ContainerStatus;

use super::start::StartKind;
use super::{Container, Containers};
use crate::blocking::blocking;
use crate::error::Error;

/// How long a SIGKILLed container may take to be reaped and cleaned up.
const KILL_GRACE: Duration = Duration::from_secs(10);

impl Containers {
    /// Stops the container `term` names: its stop signal, then SIGKILL after the timeout.
    pub(crate) async fn stop(self, term: String, opts: StopOptions) -> Result<(), Error> {
        let c = self.get(&term)?;
        let _op = c.op.lock().await;
        self.stop_locked(&c, opts).await
    }

    /// Stops `c`; the caller holds its lifecycle lock. 304 when it was not running.
    pub(crate) async fn stop_locked(
        &self,
        c: &Arc<Container>,
        opts: StopOptions,
    ) -> Result<(), Error> {
        self.stop_with(c, opts, true).await
    }

    /// Stops `c` as [`Self::stop_locked`]; `manual`: a user's stop, which restart policies
    /// respect (not the daemon's own at shutdown).
    pub(crate) async fn stop_with(
        &self,
        c: &Arc<Container>,
        opts: StopOptions,
        manual: bool,
    ) -> Result<(), Error> {
        let (status, before, stop_signal, stop_timeout) = {
            let mut l = c.live();
            let status = l.record.state.status;
            if manual && matches!(status, ContainerStatus::Running | ContainerStatus::Paused) {
                l.record.manually_stopped = true;
            }
            (
                status,
                l.exits,
                l.record.config.stop_signal.clone(),
                l.record.config.stop_timeout,
            )
        };
        match status {
            ContainerStatus::Running | ContainerStatus::Paused => {}
            ContainerStatus::Restarting => {
                self.cancel_restart(c).await;
                return Ok(());
            }
            _ => {
                return Err(Error::NotModified(format!(
                    "container {} is already stopped",
                    c.id
                )));
            }
        }
        let signal = match opts.signal {
            Some(s) => s,
            None => stop_signal
                .as_deref()
                .filter(|s| !s.is_empty())
                .map_or(Ok(Signal::TERM), Signal::parse)?,
        };
        let timeout = opts.timeout.or(stop_timeout).unwrap_or(10);
        match self.signal(c, signal.number()).await {
            // It exited meanwhile: the wait below sees the exit.
            Ok(()) | Err(Error::NotRunning(_)) => {}
            Err(e) => return Err(e),
        }
        // A frozen process gets the signal once thawed (moby's `killWithSignal`).
        self.thaw_to_deliver(c).await;
        let wait = u64::try_from(timeout).ok().map(Duration::from_secs);
        if !self.wait_stopped(c, before, wait).await {
            tracing::info!(container = %c.id, timeout, "did not stop in time; sending SIGKILL");
            self.kill_and_wait(c, before).await?;
        }
        self.event(c, "stop", &[]);
        Ok(())
    }

    /// SIGKILL, then waits until the exit has been handled; if the monitor does not report,
    /// runc deletes the container.
    async fn kill_and_wait(&self, c: &Arc<Container>, before: u64) -> Result<(), Error> {
        let _ = self.signal(c, Signal::KILL.number()).await;
        // cgroup v1 delivers SIGKILL to frozen processes only once they are thawed.
        self.thaw_to_deliver(c).await;
        if self.wait_stopped(c, before, Some(KILL_GRACE)).await {
            return Ok(());
        }
        let (runtime, id) = (self.inner.runtimes.holding(&c.id), c.id.clone());
        blocking(move || execdriver::delete(&runtime, &id, true)).await??;
        if self.wait_stopped(c, before, Some(KILL_GRACE)).await {
            Ok(())
        } else {
            Err(Error::System(format!(
                "container {} did not exit after SIGKILL",
                c.id
            )))
        }
    }

    /// For `rm -f`: stops whatever runs or is about to restart, without a grace period.
    pub(crate) async fn kill_for_removal(&self, c: &Arc<Container>) -> Result<(), Error> {
        let (status, before) = {
            let mut l = c.live();
            l.record.manually_stopped = true;
            (l.record.state.status, l.exits)
        };
        match status {
            ContainerStatus::Restarting => {
                self.cancel_restart(c).await;
                Ok(())
            }
            _ => self.kill_and_wait(c, before).await,
        }
    }

    /// Stops a scheduled policy restart: the container stays exited.
    async fn cancel_restart(&self, c: &Arc<Container>) {
        {
            let mut l = c.live();
            l.restart_gen += 1;
            l.record.manually_stopped = true;
            if l.record.state.status == ContainerStatus::Restarting {
                l.record.state.status = ContainerStatus::Exited;
            }
        }
        c.save_or_warn().await;
        c.publish();
    }

    /// Tells `kill` (moby's `killWithSignal`), then sends signal number `n` to the
    /// container's init process; 409 if it does not run.
    ///
    /// Told first: the exit a SIGKILL causes is often handled (and its `die` told) before
    /// runc returns, and dockerd's order is `kill`, then `die`. A container that ended in the
    /// meantime has had a `kill` told that did not reach it.
    async fn signal(&self, c: &Container, n: i32) -> Result<(), Error> {
        self.event(c, "kill", &[("signal", n.to_string())]);
        let (runtime, id) = (self.inner.runtimes.holding(&c.id), c.id.clone());
        blocking(move || execdriver::kill(&runtime, &id, &n.to_string()))
            .await?
            .map_err(|e| match e {
                execdriver::Error::Conflict(_) | execdriver::Error::NotFound(_) => {
                    Error::NotRunning(c.id.clone())
                }
                other => other.into(),
            })
    }

    /// Waits until the run current when `before` exits had been counted has ended and been
    /// handled; `false` if `timeout` passed first (`None`: no limit).
    pub(crate) async fn wait_stopped(
        &self,
        c: &Container,
        before: u64,
        timeout: Option<Duration>,
    ) -> bool {
        let mut rx = c.events.subscribe();
        let done = async {
            loop {
                {
                    let s = rx.borrow_and_update();
                    let running =
                        matches!(s.status, ContainerStatus::Running | ContainerStatus::Paused);
                    if s.exits > before || s.removed || !running {
                        return true;
                    }
                }
                if rx.changed().await.is_err() {
                    return true;
                }
            }
        };
        match timeout {
            None => done.await,
            Some(t) => tokio::time::timeout(t, done).await.unwrap_or(false),
        }
    }

    /// Sends `signal` to the container `term` names; with SIGKILL, waits for the exit.
    pub(crate) async fn kill(self, term: String, signal: Signal) -> Result<(), Error> {
        let c = self.get(&term)?;
        let (before, by_hand) = {
            let mut l = c.live();
            if !matches!(
                l.record.state.status,
                ContainerStatus::Running | ContainerStatus::Paused
            ) {
                return Err(Error::NotRunning(c.id.clone()));
            }
            // moby's `killWithSignal`: with a configured stop signal, only that signal or
            // SIGKILL counts as stopping by hand; without one, every signal does.
            let stop_signal = l
                .record
                .config
                .stop_signal
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(Signal::parse);
            let by_hand = match stop_signal {
                Some(configured) => signal == Signal::KILL || configured.ok() == Some(signal),
                None => true,
            };
            if by_hand {
                l.record.manually_stopped = true;
            }
            (l.exits, by_hand)
        };
        self.signal(&c, signal.number()).await?;
        if by_hand {
            // A signal that stops the container is delivered to a paused one by thawing it.
            self.thaw_to_deliver(&c).await;
        }
        if signal == Signal::KILL {
            self.wait_stopped(&c, before, Some(KILL_GRACE)).await;
        }
        Ok(())
    }

    /// Stops (if running) and starts the container `term` names.
    pub(crate) async fn restart(self, term: String, opts: StopOptions) -> Result<(), Error> {
        let c = self.get(&term)?;
        let _op = c.op.lock().await;
        match self.stop_locked(&c, opts).await {
            Ok(()) | Err(Error::NotModified(_)) => {}
            Err(e) => return Err(e),
        }
        self.start_locked(&c, StartKind::Manual).await?;
        self.event(&c, "restart", &[]);
        Ok(())
    }

    /// Sets the TTY size of the container `term` names; 409 if it does not run.
    pub(crate) async fn resize(self, term: String, height: u32, width: u32) -> Result<(), Error> {
        let c = self.get(&term)?;
        if !matches!(
            c.live().record.state.status,
            ContainerStatus::Running | ContainerStatus::Paused
        ) {
            return Err(Error::NotRunning(c.id.clone()));
        }
        let dir = c.exec_dir();
        let (h, w) = (
            u16::try_from(height).unwrap_or(u16::MAX),
            u16::try_from(width).unwrap_or(u16::MAX),
        );
        blocking(move || execdriver::AttachConn::connect(&dir)?.resize(h, w))
            .await?
            .map_err(|e| match e {
                execdriver::Error::NotFound(_) => Error::NotRunning(c.id.clone()),
                other => other.into(),
            })?;
        let size = [("height", height.to_string()), ("width", width.to_string())];
        self.event(&c, "resize", &size);
        Ok(())
    }
}

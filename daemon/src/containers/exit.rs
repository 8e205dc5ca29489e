//! After a container exits: one async watcher per running container reads the monitor's attach
//! socket until the exit frame (no thread per container), then exit handling releases the
//! run's network and mounts, records the exit, wakes waiters, and applies `--rm` or the restart
//! policy.

use std::sync::Arc;
use std::time::Duration;

use api::types::ContainerStatus;
use execdriver::{ExitStatus, Frame, State};
use jiff::Timestamp;
use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;

use super::start::StartKind;
use super::{Container, Containers, Record};
use crate::blocking::blocking;

/// The restart policy's first delay, doubled after each quick exit (moby's restart manager).
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest delay between policy restarts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A run at least this long resets the delay.
const RESET_AFTER: Duration = Duration::from_secs(10);

impl Containers {
    /// Watches `c`'s current run until it exits, then handles the exit. `conn` is a connection
    /// to its monitor made before the process started (so no exit can be missed), if any.
    pub(crate) fn spawn_watcher(&self, c: Arc<Container>, conn: Option<UnixStream>) {
        let this = self.clone();
        self.spawn_task(async move {
            let exit = this.wait_for_exit(&c, conn).await;
            this.handle_exit(&c, exit, false).await;
        });
    }

    async fn wait_for_exit(&self, c: &Container, mut conn: Option<UnixStream>) -> ExitStatus {
        loop {
            if let Some(s) = conn.take()
                && let Some(exit) = read_until_exit(s).await
            {
                return exit;
            }
            // The connection ended without the exit frame (the monitor dropped a watcher that
            // fell behind, or died): the state directory says which.
            let dir = c.exec_dir();
            match blocking(move || execdriver::state(&dir)).await {
                Ok(Ok(State::Exited(exit))) => return exit,
                Ok(Ok(State::Running(_) | State::Starting)) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    conn = connect(c).await;
                }
                Ok(Ok(State::Gone)) => return self.monitor_died(c).await,
                Ok(Err(e)) => {
                    tracing::warn!(container = %c.id, error = %e, "cannot read the container's state");
                    return self.monitor_died(c).await;
                }
                Err(e) => {
                    tracing::warn!(container = %c.id, error = %e, "cannot read the container's state");
                    return self.monitor_died(c).await;
                }
            }
        }
    }

    /// The monitor is gone without recording an exit: whatever runc still has of the container
    /// is killed, and the exit is recorded as a kill (or 255 if nothing was left).
    pub(crate) async fn monitor_died(&self, c: &Container) -> ExitStatus {
        let (runtime, id) = (self.inner.runtimes.holding(&c.id), c.id.clone());
        let had_process = blocking(move || {
            let had = runtime.root.join(&id).exists();
            if let Err(e) = execdriver::delete(&runtime, &id, true) {
                tracing::warn!(container = %id, error = %e, "cannot delete the container from runc");
            }
            had
        })
        .await
        .unwrap_or(false);
        ExitStatus {
            exit_code: if had_process { 137 } else { 255 },
            signal: had_process.then_some(9),
            oom_killed: false,
            finished_at: Timestamp::now(),
            error: Some("the container's monitor exited without recording an exit status".into()),
        }
    }

    /// Records `exit` and does what follows it. `at_restore`: found at daemon start, where
    /// `always` restarts even a container stopped by hand (as dockerd does).
    pub(crate) async fn handle_exit(&self, c: &Arc<Container>, exit: ExitStatus, at_restore: bool) {
        let run = {
            let mut l = c.live();
            l.accepting = false;
            l.run.take()
        };
        // moby tells `oom` when the kernel's OOM killer strikes, which is before the exit.
        if exit.oom_killed {
            self.event(c, "oom", &[]);
        }
        // moby's `handleContainerExit`: `die` first, then what the cleanup undoes.
        self.event(c, "die", &[("exitCode", exit.exit_code.to_string())]);
        if let Some(run) = run {
            let (connected, mounted) = (run.connected, run.volumes_mounted);
            self.release(&c.id, &c.dir, run).await;
            self.released(c, connected, mounted).await;
        }
        let (auto_remove, restart) = {
            let mut l = c.live();
            let ran = l
                .record
                .state
                .started_at
                .and_then(|s| Duration::try_from(exit.finished_at.duration_since(s)).ok())
                .unwrap_or_default();
            let st = &mut l.record.state;
            st.exit_code = i64::from(exit.exit_code);
            st.finished_at = Some(exit.finished_at);
            st.oom_killed = exit.oom_killed;
            st.pid = 0;
            if let Some(e) = &exit.error {
                st.error.clone_from(e);
            }
            let auto_remove = l.record.host_config.auto_remove && !l.removed;
            let restart = !l.removed
                && !auto_remove
                && !self.shutting_down()
                && should_restart(&l.record, exit.exit_code, at_restore);
            l.record.state.status = if restart {
                ContainerStatus::Restarting
            } else if auto_remove {
                ContainerStatus::Removing
            } else {
                ContainerStatus::Exited
            };
            l.exits += 1;
            let restart = restart.then(|| {
                l.backoff = if ran >= RESET_AFTER || l.backoff.is_zero() {
                    FIRST_BACKOFF
                } else {
                    (l.backoff * 2).min(MAX_BACKOFF)
                };
                (l.backoff, l.restart_gen)
            });
            (auto_remove, restart)
        };
        c.save_or_warn().await;
        c.publish();
        tracing::debug!(container = %c.id, code = exit.exit_code, "exited");
        if auto_remove {
            if let Err(e) = self.remove_with_volumes(c).await {
                tracing::warn!(container = %c.id, error = %e, "cannot remove an --rm container");
            }
        } else if let Some((delay, generation)) = restart {
            self.schedule_restart(c, delay, generation);
        }
    }

    fn schedule_restart(&self, c: &Arc<Container>, delay: Duration, generation: u64) {
        let (this, c) = (self.clone(), Arc::clone(c));
        self.spawn_task(async move {
            tokio::time::sleep(delay).await;
            let _op = c.op.lock().await;
            if let Err(e) = this.start_locked(&c, StartKind::Policy(generation)).await {
                tracing::warn!(container = %c.id, error = %e, "restart by policy failed");
            }
        });
    }
}

/// moby's restart manager, decided at an exit.
pub(crate) fn should_restart(rec: &Record, exit_code: i32, at_restore: bool) -> bool {
    let p = &rec.host_config.restart_policy;
    match p.name.as_str() {
        "always" => at_restore || !rec.manually_stopped,
        "unless-stopped" => !rec.manually_stopped,
        "on-failure" => {
            !rec.manually_stopped
                && exit_code != 0
                && (p.maximum_retry_count == 0 || rec.restart_count < p.maximum_retry_count)
        }
        _ => false,
    }
}

/// A connection to the container's monitor, if one listens.
pub(crate) async fn connect(c: &Container) -> Option<UnixStream> {
    let dir = c.exec_dir();
    let std = blocking(move || execdriver::AttachConn::connect(&dir))
        .await
        .ok()?
        .ok()?
        .into_stream();
    std.set_nonblocking(true).ok()?;
    UnixStream::from_std(std).ok()
}

/// Reads frames until the exit frame; `None` when the connection ends without one.
pub(crate) async fn read_until_exit(mut s: UnixStream) -> Option<ExitStatus> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        loop {
            match Frame::decode(&buf) {
                Ok(Some((frame, used))) => {
                    buf.drain(..used);
                    if let Frame::Exit(exit) = frame {
                        return Some(exit);
                    }
                }
                Ok(None) => break,
                Err(_) => return None,
            }
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies_as_moby_decides() {
        let mut rec = Record::sample(&"d".repeat(64), "/x");
        assert!(!should_restart(&rec, 1, false));
        rec.host_config.restart_policy.name = "always".into();
        assert!(should_restart(&rec, 0, false));
        rec.manually_stopped = true;
        assert!(!should_restart(&rec, 0, false));
        assert!(should_restart(&rec, 0, true));
        rec.host_config.restart_policy.name = "unless-stopped".into();
        assert!(!should_restart(&rec, 0, true));
        rec.manually_stopped = false;
        rec.host_config.restart_policy.name = "on-failure".into();
        rec.host_config.restart_policy.maximum_retry_count = 2;
        assert!(!should_restart(&rec, 0, false));
        assert!(should_restart(&rec, 3, false));
        rec.restart_count = 2;
        assert!(!should_restart(&rec, 3, false));
    }
}

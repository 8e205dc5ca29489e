//! `GET /exec/{id}/json` and `POST /exec/{id}/resize`.

use std::time::{Duration, Instant};

use api::types::{ExecInspectResponse, ProcessConfig};
use execdriver::AttachConn;

use super::Execs;
use crate::blocking::blocking;
use crate::error::{Error, Result};

/// How long a resize waits for the exec's process to start (moby's wait on `ec.Started`).
const STARTED_TIMEOUT: Duration = Duration::from_secs(10);

impl Execs {
    /// The exec `id` names, as dockerd's `ContainerExecInspect` shows it.
    pub(crate) fn inspect(&self, id: &str) -> Result<ExecInspectResponse> {
        let exec = self.get(id)?;
        let st = exec.state().clone();
        let cfg = &exec.config;
        Ok(ExecInspectResponse {
            id: cfg.id.clone(),
            running: st.running,
            exit_code: st.exit_code,
            process_config: ProcessConfig {
                tty: cfg.tty,
                entrypoint: cfg.entrypoint.clone(),
                arguments: cfg.args.clone(),
                privileged: cfg.privileged,
                user: cfg.user.clone(),
            },
            open_stdin: cfg.open_stdin,
            open_stderr: cfg.open_stderr,
            open_stdout: cfg.open_stdout,
            can_remove: st.can_remove,
            container_id: cfg.container_id.clone(),
            detach_keys: cfg.detach_keys.clone(),
            pid: st.pid,
        })
    }

    /// Sets the exec's tty size once its process runs.
    pub(crate) async fn resize(&self, id: &str, height: u32, width: u32) -> Result<()> {
        let exec = self.get(id)?;
        self.target_of(&exec).await?;
        let deadline = Instant::now() + STARTED_TIMEOUT;
        loop {
            let st = exec.state().clone();
            if st.started {
                break;
            }
            if st.ended {
                // It never ran: there is no tty to resize.
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::System(
                    "timeout waiting for exec session ready".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let dir = exec.exec_dir();
        let (h, w) = (
            u16::try_from(height).unwrap_or(u16::MAX),
            u16::try_from(width).unwrap_or(u16::MAX),
        );
        blocking(move || AttachConn::connect(&dir)?.resize(h, w)).await??;
        Ok(())
    }
}

//! A health check's probe: an exec like any other (dockerd's `cmdProbe`: the container's user
//! and working directory, stdout and stderr captured, at most 4 KiB kept), with a deadline.

use std::time::Duration;

use api::backend::ExecStartOptions;
use api::types::ExecCreateRequest;
use futures::StreamExt;
use jiff::Timestamp;

use super::Execs;
use crate::error::Result;

/// How much of a probe's output is kept (moby's `maxOutputLen`).
const MAX_OUTPUT: usize = 4096;

/// One probe's result (moby's `HealthcheckResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProbeResult {
    /// When it started.
    pub(crate) start: Timestamp,
    /// When it ended.
    pub(crate) end: Timestamp,
    /// The command's exit code; -1 when it could not run or overran its timeout.
    pub(crate) exit_code: i64,
    /// Its output, or why it did not run.
    pub(crate) output: String,
}

impl Execs {
    /// Runs `cmd` in the running container `container_id` as a health check probe, killed
    /// after `timeout`.
    pub(crate) async fn probe(
        &self,
        container_id: &str,
        cmd: Vec<String>,
        timeout: Duration,
        timeout_text: String,
    ) -> Result<ProbeResult> {
        let start = Timestamp::now();
        let req = ExecCreateRequest {
            attach_stdout: true,
            attach_stderr: true,
            cmd: Some(cmd),
            ..ExecCreateRequest::default()
        };
        let id = self.create(container_id, req).await?;
        let opts = ExecStartOptions::default();
        let Some(session) = self.start(&id, opts).await? else {
            return Ok(failed(start, "the probe did not attach".into()));
        };
        let mut stream = session.attachment.output;
        let read = async move {
            let mut output = Vec::new();
            while let Some(Ok(frame)) = stream.next().await {
                let room = MAX_OUTPUT.saturating_sub(output.len());
                output.extend_from_slice(&frame.data[..frame.data.len().min(room)]);
            }
            output
        };
        let exec = self.get(&id)?;
        let result = self
            .finish_probe(&exec, start, timeout, timeout_text, read)
            .await;
        if exec.ended_within(ENDED_WITHIN).await {
            self.forget(&id).await;
        }
        Ok(result)
    }

    /// Reads the probe's output (`read`) within `timeout` and makes its result.
    async fn finish_probe(
        &self,
        exec: &super::Exec,
        start: Timestamp,
        timeout: Duration,
        timeout_text: String,
        read: impl std::future::Future<Output = Vec<u8>>,
    ) -> ProbeResult {
        let Ok(output) = tokio::time::timeout(timeout, read).await else {
            let pid = exec.state().pid;
            if pid > 0
                && let Ok(pid) = i32::try_from(pid)
            {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::SIGKILL,
                );
            }
            return ProbeResult {
                start,
                end: Timestamp::now(),
                exit_code: -1,
                output: format!("Health check exceeded timeout ({timeout_text})"),
            };
        };
        exec.ended_within(ENDED_WITHIN).await;
        let st = exec.state().clone();
        let text = String::from_utf8_lossy(&output).into_owned();
        if st.pid == 0 {
            // It did not start: dockerd reports the error itself.
            return failed(start, text.trim_end().to_owned());
        }
        ProbeResult {
            start,
            end: Timestamp::now(),
            exit_code: st.exit_code.unwrap_or(-1),
            output: text,
        }
    }
}

/// How long the watcher may take to record a probe's exit after its output ended (or after
/// it was killed).
const ENDED_WITHIN: Duration = Duration::from_secs(1);
fn failed(start: Timestamp, output: String) -> ProbeResult {
    ProbeResult {
        start,
        end: Timestamp::now(),
        exit_code: -1,
        output,
    }
}

//! `POST /exec/{id}/start`: the exec's process under its monitor, detached or with a session
//! whose output starts it, and the watcher that records its end.

use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use api::backend::{ExecSession, ExecStartOptions, StdFrame, StdStream};
use bytes::Bytes;
use execdriver::{ExecSpec, ExitStatus, State};
use futures::StreamExt;
use tokio::sync::oneshot;

use super::{Exec, Execs};
use crate::blocking::blocking;
use crate::containers::{AttachMode, ExecTarget, read_until_exit, wire_attachment};
use crate::error::{Error, IoContext, Result};

/// The exit code dockerd records for an exec that failed to start without a better one
/// (`exitEaccess`).
const EXIT_EACCES: i64 = 126;

/// How long a session waits, after the output ended, for the exit to be recorded.
const EXIT_RECORDED_WITHIN: Duration = Duration::from_secs(2);

/// The record of a started exec, in its directory (read back by `restore`).
pub(super) const RECORD_FILE: &str = "exec.json";

impl Execs {
    /// Starts the exec `id` (see `api::backend::ExecBackend::exec_start`).
    pub(crate) async fn start(
        &self,
        id: &str,
        opts: ExecStartOptions,
    ) -> Result<Option<ExecSession>> {
        let exec = self.get(id)?;
        let target = self.target_of(&exec).await?;
        if opts.detach {
            let this = self.clone();
            crate::containers::Containers::detached(async move {
                this.run(&exec, &target, opts.console_size, false).await?;
                Ok(())
            })
            .await?;
            return Ok(None);
        }
        let cfg = &exec.config;
        let mode = AttachMode {
            stdout: cfg.open_stdout,
            stderr: cfg.open_stderr,
            close_stdin_on_eof: !cfg.tty,
        };
        let (conn_tx, conn_rx) = oneshot::channel();
        let (mut attachment, out) =
            wire_attachment(cfg.tty, Vec::new(), Some(conn_rx), cfg.open_stdin, mode);
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let watched = Arc::clone(&exec);
        let this = self.clone();
        let detach_keys = cfg.detach_keys.clone();
        tokio::spawn(async move {
            // The session polls the output once the 101 is out: only then does the process
            // start, as with dockerd (a client reading the answer's headers loses nothing).
            if go_rx.await.is_err() {
                return;
            }
            match this.run(&exec, &target, opts.console_size, true).await {
                Ok(Some(conn)) => {
                    let _ = conn_tx.send(conn);
                }
                Ok(None) => {}
                Err(e) => {
                    // dockerd writes the failure into the session, on stdout, then ends it.
                    let frame = StdFrame {
                        stream: StdStream::Stdout,
                        data: Bytes::from(format!("{e}\r\n")),
                    };
                    let _ = out.send(Ok(frame)).await;
                }
            }
        });
        let mut go = Some(go_tx);
        let mut output = attachment.output;
        let started = futures::stream::poll_fn(move |cx| {
            if let Some(go) = go.take() {
                let _ = go.send(());
            }
            output.poll_next_unpin(cx)
        });
        // The session ends only once the exit is recorded: the CLI asks for the exit code
        // right after (the watcher reads the same exit frame on its own connection).
        let ended = futures::stream::once(async move {
            watched.ended_within(EXIT_RECORDED_WITHIN).await;
        })
        .filter_map(|()| async { None });
        attachment.output = started.chain(ended).boxed();
        Ok(Some(ExecSession {
            attachment,
            detach_keys,
        }))
    }

    /// moby's `getExecConfig` checks: the exec's container still runs, is not paused or
    /// restarting.
    pub(super) async fn target_of(&self, exec: &Exec) -> Result<ExecTarget> {
        let (containers, cid) = (
            self.inner.containers.clone(),
            exec.config.container_id.clone(),
        );
        blocking(move || containers.exec_target(&cid, false)).await?
    }

    /// Runs the process: marks the exec running (refused if it ran or runs), launches its
    /// monitor, connects the watcher (and the session's connection when `attach`) before the
    /// process starts, starts it and spawns the watcher.
    async fn run(
        &self,
        exec: &Arc<Exec>,
        target: &ExecTarget,
        console_size: Option<[u32; 2]>,
        attach: bool,
    ) -> Result<Option<UnixStream>> {
        {
            let mut st = exec.state();
            if st.exit_code.is_some() {
                return Err(Error::Conflict(format!(
                    "exec command {} has already run",
                    exec.config.id
                )));
            }
            if st.running {
                return Err(Error::Conflict(format!(
                    "exec command {} is already running",
                    exec.config.id
                )));
            }
            st.running = true;
        }
        let action = format!("exec_start: {}", exec.config.command_line());
        self.event(&exec.config, &action, &[]);
        match self.launch(exec, target, console_size, attach).await {
            Ok((pid, watcher, conn)) => {
                {
                    let mut st = exec.state();
                    st.pid = i64::from(pid);
                    st.started = true;
                }
                self.watch(Arc::clone(exec), Some(watcher));
                tracing::debug!(exec = %exec.config.id, pid, "exec started");
                Ok(conn)
            }
            Err(e) => {
                let code = match &e {
                    Error::Exec(execdriver::Error::Start { exit_code, .. }) => {
                        i64::from(*exit_code)
                    }
                    _ => EXIT_EACCES,
                };
                exec.ended(code);
                self.event(&exec.config, "exec_die", &[("exitCode", code.to_string())]);
                Err(start_error(e))
            }
        }
    }

    async fn launch(
        &self,
        exec: &Arc<Exec>,
        target: &ExecTarget,
        console_size: Option<[u32; 2]>,
        attach: bool,
    ) -> Result<(i32, tokio::net::UnixStream, Option<UnixStream>)> {
        let cfg = exec.config.clone();
        let env = target.environment(cfg.tty, &cfg.env);
        let (rootfs, bundle, runtime, monitor) = (
            target.rootfs.clone(),
            target.bundle.clone(),
            target.runtime.clone(),
            target.monitor.clone(),
        );
        let dir = exec.exec_dir();
        let size = console_size.or(cfg.console_size).map(|[h, w]| {
            (
                u16::try_from(h).unwrap_or(u16::MAX),
                u16::try_from(w).unwrap_or(u16::MAX),
            )
        });
        // moby's getUser: the container's `--group-add` groups join every exec's user too.
        let group_add = target
            .record
            .host_config
            .group_add
            .clone()
            .unwrap_or_default();
        let (pid, watcher, conn) = blocking(move || {
            let mut user = execdriver::resolve_user(&rootfs, &cfg.user)?;
            user.additional_gids
                .extend(execdriver::additional_groups(&rootfs, &group_add)?);
            let mut args = vec![cfg.entrypoint.clone()];
            args.extend(cfg.args.iter().cloned());
            let spec = ExecSpec {
                args,
                env,
                cwd: cfg.working_dir.clone(),
                user,
                tty: cfg.tty,
                open_stdin: cfg.open_stdin,
                privileged: cfg.privileged,
                console_size: size,
            };
            let prepared = execdriver::prepare_exec(&bundle, &dir, &spec, &runtime, &monitor)?;
            let watcher = prepared.attach()?.into_stream();
            let conn = if attach {
                Some(prepared.attach()?.into_stream())
            } else {
                None
            };
            let running = prepared.start()?;
            let record = serde_json::to_vec(&cfg).unwrap_or_default();
            if let Err(e) = execdriver::write_replacing(&dir.path().join(RECORD_FILE), &record) {
                tracing::warn!(exec = %cfg.id, error = %e, "cannot record the exec");
            }
            Ok::<_, execdriver::Error>((running.pid, watcher, conn))
        })
        .await??;
        watcher
            .set_nonblocking(true)
            .ctx("configuring the exec monitor connection")?;
        let watcher = tokio::net::UnixStream::from_std(watcher)
            .ctx("registering the exec monitor connection")?;
        Ok((pid, watcher, conn))
    }

    /// Watches the exec's process until it exits and records the exit. `conn` is a connection
    /// to its monitor made before the process started, if any.
    pub(super) fn watch(&self, exec: Arc<Exec>, conn: Option<tokio::net::UnixStream>) {
        let execs = self.clone();
        tokio::spawn(async move {
            let exit = wait_for_exit(&exec, conn).await;
            exec.ended(i64::from(exit.exit_code));
            let code = [("exitCode", exit.exit_code.to_string())];
            execs.event(&exec.config, "exec_die", &code);
            tracing::debug!(exec = %exec.config.id, code = exit.exit_code, "exec exited");
        });
    }
}

/// The exit frame, else (the connection ended without it) what the exec's directory says.
async fn wait_for_exit(exec: &Exec, mut conn: Option<tokio::net::UnixStream>) -> ExitStatus {
    loop {
        if let Some(s) = conn.take()
            && let Some(exit) = read_until_exit(s).await
        {
            return exit;
        }
        let dir = exec.exec_dir();
        match blocking(move || execdriver::state(&dir)).await {
            Ok(Ok(State::Exited(exit))) => return exit,
            Ok(Ok(State::Running(_) | State::Starting)) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let dir = exec.exec_dir();
                conn = blocking(move || execdriver::AttachConn::connect(&dir))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(execdriver::AttachConn::into_stream)
                    .and_then(|s| {
                        s.set_nonblocking(true).ok()?;
                        tokio::net::UnixStream::from_std(s).ok()
                    });
            }
            _ => {
                // The monitor died without a record: the process is gone with its container
                // or unserved; dockerd's unknown exit.
                return ExitStatus {
                    exit_code: 255,
                    signal: None,
                    oom_killed: false,
                    finished_at: jiff::Timestamp::now(),
                    error: None,
                };
            }
        }
    }
}

/// An exec that did not start, as dockerd words it: containerd's `OCI runtime exec failed`
/// around runc's message, a 400 when the command is missing or not executable.
fn start_error(e: Error) -> Error {
    match e {
        Error::Exec(execdriver::Error::Start { exit_code, message }) => {
            let message = execdriver::docker_exec_message(&message);
            if matches!(exit_code, 126 | 127) {
                Error::Invalid(message)
            } else {
                Error::System(message)
            }
        }
        other => other,
    }
}

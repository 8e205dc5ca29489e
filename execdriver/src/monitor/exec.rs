//! An exec's monitor: the same life as a container's, but the process is started with `runc
//! exec --detach` in the running container, and its output goes to attach clients only.
//!
//! The monitor binds the attach socket, reports `ready`, waits for `start` (so the daemon can
//! attach first), starts the process itself when it can do exactly what runc would (the
//! `nsexec` module) or else runs `runc exec`, and, being a child subreaper, becomes the parent
//! of the exec's process once its starter exits. It then serves the process like a container's monitor does
//! and records its end in `exit.json` of the exec's directory.

use std::fs::File;
use std::path::Path;

use jiff::Timestamp;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::event_loop::{accept_all, finish_clients};
use super::launch::{
    CLIENT_FLUSH, Stdio3, StdioPlan, bind_attach, record_failure, record_start, remove_if_exists,
    run_for_pid, serve, setup, wait_for_start,
};
use super::{MonitorArgs, Report, note, report};
use crate::error::{Context, Error, Result};
use crate::state::{ATTACH_SOCKET, CONSOLE_SOCKET, ContainerDir, ExitStatus};
use crate::{nsexec, runc};

/// Everything after the monitor detached from the daemon.
pub(super) fn run(args: &MonitorArgs) -> Result<()> {
    let dir = args.dir();
    let (_lock, sigfd) = setup(&dir)?;
    let process = load_process(&dir.process_file())?;
    let is_tty = process.terminal().unwrap_or(false);
    let listener = bind_attach(&dir)?;
    report::send(&Report::Ready {
        monitor_pid: std::process::id() as i32,
    });
    if !wait_for_start() {
        note("the daemon went away before starting the exec");
        let _ = std::fs::remove_file(ATTACH_SOCKET);
        return Ok(());
    }
    let mut clients = Vec::new();
    accept_all(&listener, &mut clients);

    let native = match &args.bundle {
        Some(bundle) => nsexec::prepare(&args.runtime, &args.id, bundle, &process, args.open_stdin)
            .map_err(|why| note(&format!("exec through runc: {why}")))
            .ok(),
        None => None,
    };
    let (pid, stdio) = match native {
        Some(native) => match start_native(native, &dir, args.open_stdin)? {
            Ok(started) => started,
            Err(message) => return failed(&dir, &message),
        },
        None => match start_runc(args, &dir, is_tty)? {
            Ok(started) => started,
            Err(message) => return failed(&dir, &message),
        },
    };
    record_start(&dir, pid, false);
    let (exit_code, signal, mut clients) = serve(&listener, clients, stdio, &sigfd, pid, None);
    let status = ExitStatus {
        exit_code,
        signal,
        oom_killed: false,
        finished_at: Timestamp::now(),
        error: None,
    };
    crate::state::write_json(&dir.exit_file(), &status, false)?;
    finish_clients(&mut clients, &status, CLIENT_FLUSH);
    Ok(())
}

/// Starts the process natively: its PID and stdio, or runc's message for what failed.
fn start_native(
    native: nsexec::Native,
    dir: &ContainerDir,
    open_stdin: bool,
) -> Result<std::result::Result<(Pid, Stdio3), String>> {
    let (pid, stdio) = match nsexec::start(native, &dir.pid_file())? {
        Ok(started) => started,
        Err(message) => return Ok(Err(message)),
    };
    let stdio = match stdio {
        nsexec::MonitorStdio::Pty(master) => Stdio3::pty(master, open_stdin),
        nsexec::MonitorStdio::Pipes {
            stdout,
            stderr,
            stdin,
        } => Stdio3::pipes(stdout, stderr, stdin),
    };
    match stdio {
        Ok(stdio) => Ok(Ok((pid, stdio))),
        Err(e) => {
            // Without its stdio nobody could serve the process: it goes.
            let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
            Err(e)
        }
    }
}

/// Starts the process with `runc exec --detach`: its PID and stdio, or runc's message.
fn start_runc(
    args: &MonitorArgs,
    dir: &ContainerDir,
    is_tty: bool,
) -> Result<std::result::Result<(Pid, Stdio3), String>> {
    File::create(dir.runc_log()).on_path("creating", &dir.runc_log())?;
    let mut cmd = runc::command(&args.runtime, Some(&dir.runc_log()));
    cmd.args(["exec", "--detach", "--process"])
        .arg(dir.process_file())
        .arg("--pid-file")
        .arg(dir.pid_file());
    let plan = StdioPlan::new(&mut cmd, dir, is_tty, args.open_stdin)?;
    cmd.arg(&args.id);
    let pid = match run_for_pid(cmd, dir, "runc exec")? {
        Ok(pid) => pid,
        Err(message) => {
            drop(plan);
            let _ = std::fs::remove_file(CONSOLE_SOCKET);
            return Ok(Err(message));
        }
    };
    match plan.finish(args.open_stdin) {
        Ok(stdio) => Ok(Ok((pid, stdio))),
        Err(e) => {
            // Without its stdio nobody could serve the process: it goes.
            let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
            Err(e)
        }
    }
}

fn load_process(path: &Path) -> Result<oci_spec::runtime::Process> {
    let bytes = std::fs::read(path).on_path("reading", path)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Runtime(format!("loading {}: {e}", path.display())))
}

/// Records an exec that could not start and reports it.
fn failed(dir: &ContainerDir, runtime_message: &str) -> Result<()> {
    let _ = std::fs::remove_file(ATTACH_SOCKET);
    remove_if_exists(&dir.pid_file())?;
    record_failure(dir, &format!("exec {}", dir.id()), runtime_message, false)
}

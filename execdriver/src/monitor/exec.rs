//! An exec's monitor: the same life as a container's, but the process is started with `runc
//! exec --detach` in the running container, and its output goes to attach clients only.
//!
//! The monitor binds the attach socket, reports `ready`, waits for `start` (so the daemon can
//! attach first), runs `runc exec`, and, being a child subreaper, becomes the parent of the
//! exec's process once runc exits. It then serves the process like a container's monitor does
//! and records its end in `exit.json` of the exec's directory.

use std::fs::File;
use std::path::Path;

use jiff::Timestamp;
use nix::sys::signal::Signal;

use super::event_loop::{accept_all, finish_clients};
use super::launch::{
    CLIENT_FLUSH, StdioPlan, bind_attach, record_failure, record_start, remove_if_exists,
    run_for_pid, serve, setup, wait_for_start,
};
use super::{MonitorArgs, Report, note, report};
use crate::error::{Context, Error, Result};
use crate::runc;
use crate::state::{ATTACH_SOCKET, CONSOLE_SOCKET, ContainerDir, ExitStatus};

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

    File::create(dir.runc_log()).on_path("creating", &dir.runc_log())?;
    let mut cmd = runc::command(&args.runtime, Some(&dir.runc_log()));
    cmd.args(["exec", "--detach", "--process"])
        .arg(dir.process_file())
        .arg("--pid-file")
        .arg(dir.pid_file());
    let plan = StdioPlan::new(&mut cmd, &dir, is_tty, args.open_stdin)?;
    cmd.arg(&args.id);
    let pid = match run_for_pid(cmd, &dir, "runc exec")? {
        Ok(pid) => pid,
        Err(message) => {
            drop(plan);
            let _ = std::fs::remove_file(CONSOLE_SOCKET);
            return failed(&dir, &message);
        }
    };
    let stdio = match plan.finish(args.open_stdin) {
        Ok(stdio) => stdio,
        Err(e) => {
            // Without its stdio nobody could serve the process: it goes.
            let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
            return Err(e);
        }
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

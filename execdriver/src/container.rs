//! The daemon's side: launch a container under its monitor, look at it, signal it, wait for it.
//!
//! Every call here is blocking and spawns no thread; an async daemon runs them with
//! `spawn_blocking`. None of them forks inside the calling process except through
//! `std::process::Command` (which is safe in a multi-threaded process).

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use nix::fcntl::{Flock, FlockArg};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::error::{Context, Error, Result};
use crate::monitor::{MonitorArgs, Report};
use crate::protocol::{AttachConn, Frame};
use crate::spec::{ContainerSpec, write_bundle};
use crate::state::{ContainerDir, ExitStatus, Runtime, Started};

/// How long the monitor may take to create or start the container before the daemon gives up.
pub const LAUNCH_TIMEOUT: Duration = Duration::from_secs(60);

/// How to run the monitor: the daemon passes `/proc/self/exe` and `["monitor"]`, and its
/// `main` hands the remaining arguments to [`MonitorArgs::parse`] and [`crate::monitor_main`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorCommand {
    /// The program to execute.
    pub program: PathBuf,
    /// Arguments before the monitor's own (`--id ...`).
    pub args: Vec<OsString>,
}

impl MonitorCommand {
    /// The running binary re-executed as `<exe> monitor ...`.
    pub fn current_exe() -> Self {
        MonitorCommand {
            program: "/proc/self/exe".into(),
            args: vec!["monitor".into()],
        }
    }
}

/// A running container as [`start`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    /// The container's init process (host PID namespace).
    pub pid: i32,
    /// The monitor's PID.
    pub monitor_pid: i32,
    /// When it started.
    pub started_at: Timestamp,
}

/// A container created by runc whose process has not started yet: attach now, then
/// [`Prepared::start`]. Dropping it without starting makes the monitor delete the container.
#[derive(Debug)]
pub struct Prepared {
    dir: ContainerDir,
    pid: i32,
    monitor_pid: i32,
    gate: ChildStdin,
    reports: Reports,
}

/// What the state directory and the monitor's liveness say about a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// A monitor lives but the process has not started (or failed to) yet.
    Starting,
    /// The process runs under a live monitor.
    Running(Started),
    /// The monitor recorded how the container ended (or failed to start).
    Exited(ExitStatus),
    /// No live monitor and no exit record: never started, aborted, or the monitor was killed
    /// (then the container may still exist in runc; [`delete`] it).
    Gone,
}

/// Writes the bundle, launches the monitor and waits until runc created the container.
///
/// [`Error::Start`] when the process cannot be started (command not found: 127, not
/// executable: 126; also recorded in `exit.json`), [`Error::Conflict`] when the container
/// already has a live monitor. Runc state left by a killed monitor is deleted first.
pub fn prepare(
    spec: &ContainerSpec,
    dir: &ContainerDir,
    runtime: &Runtime,
    monitor: &MonitorCommand,
) -> Result<Prepared> {
    if dir.id() != spec.id {
        return Err(Error::InvalidParameter(format!(
            "state directory of {} used for container {}",
            dir.id(),
            spec.id
        )));
    }
    if !dir.path().is_absolute() {
        return Err(Error::InvalidParameter(format!(
            "state directory {} is not absolute",
            dir.path().display()
        )));
    }
    if monitor_alive(dir)? {
        return Err(Error::Conflict(format!(
            "container {} is already running",
            spec.id
        )));
    }
    // runc state without a live monitor is left over from a monitor that was killed: nobody
    // serves that container any more, so it goes (runc keeps one directory per container).
    if runtime.root.join(&spec.id).exists() {
        crate::runc::delete(runtime, &spec.id, true)?;
    }
    std::fs::create_dir_all(dir.path()).on_path("creating", dir.path())?;
    std::fs::create_dir_all(&runtime.root).on_path("creating", &runtime.root)?;
    for stale in [dir.exit_file(), dir.started_file()] {
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::path("removing", &stale, e));
            }
            _ => {}
        }
    }
    write_bundle(spec, dir.path())?;

    let args = MonitorArgs {
        id: spec.id.clone(),
        state_dir: dir.path().to_path_buf(),
        runtime: runtime.clone(),
        open_stdin: spec.open_stdin,
        exec: None,
        bundle: None,
        log: spec.log.clone(),
    };
    let (gate, mut reports) = spawn_monitor(
        monitor,
        &args,
        &dir.monitor_log(),
        &format!("container {}", spec.id),
    )?;
    match reports.next(LAUNCH_TIMEOUT)? {
        Report::Created { pid, monitor_pid } => Ok(Prepared {
            dir: dir.clone(),
            pid,
            monitor_pid,
            gate,
            reports,
        }),
        other => Err(report_error(other, dir)),
    }
}

/// Launches `wharfd monitor ARGS` with its stderr on `log_path`, and waits for its first
/// process to detach: the gate (its stdin, where `start` is written) and its report pipe.
pub(crate) fn spawn_monitor(
    monitor: &MonitorCommand,
    args: &MonitorArgs,
    log_path: &std::path::Path,
    what: &str,
) -> Result<(ChildStdin, Reports)> {
    let log = File::options()
        .create(true)
        .append(true)
        .open(log_path)
        .on_path("opening", log_path)?;
    let mut child = Command::new(&monitor.program)
        .args(&monitor.args)
        .args(args.to_args())
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .on_path("starting the monitor", &monitor.program)?;
    let gate = child.stdin.take().expect("stdin was piped");
    let stdout = child.stdout.take().expect("stdout was piped");
    // The monitor forks at once; this reaps its first process, the grandchild lives on.
    let status = child.wait().context("waiting for the monitor to detach")?;
    let mut reports = Reports::new(stdout);
    if !status.success() {
        return Err(match reports.next(Duration::from_secs(1)) {
            Ok(Report::Error { message, .. }) => Error::Runtime(message),
            _ => Error::Runtime(format!(
                "the monitor of {what} exited with {status}; see {}",
                log_path.display()
            )),
        });
    }
    Ok((gate, reports))
}

/// [`prepare`] and [`Prepared::start`] in one go, for callers that do not attach first.
pub fn start(
    spec: &ContainerSpec,
    dir: &ContainerDir,
    runtime: &Runtime,
    monitor: &MonitorCommand,
) -> Result<Running> {
    prepare(spec, dir, runtime, monitor)?.start()
}

impl Prepared {
    /// The container's init process (waiting in runc's exec FIFO until started).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The monitor's PID.
    pub fn monitor_pid(&self) -> i32 {
        self.monitor_pid
    }

    /// Connects to the monitor's attach socket; the connection sees all output from the very
    /// start of the process.
    pub fn attach(&self) -> Result<AttachConn> {
        AttachConn::connect(&self.dir)
    }

    /// Starts the process and waits until runc confirms it.
    pub fn start(mut self) -> Result<Running> {
        open_gate(&mut self.gate, &format!("container {}", self.dir.id()))?;
        match self.reports.next(LAUNCH_TIMEOUT)? {
            Report::Started { started_at } => Ok(Running {
                pid: self.pid,
                monitor_pid: self.monitor_pid,
                started_at,
            }),
            other => Err(report_error(other, &self.dir)),
        }
    }
}

/// Tells a waiting monitor (its stdin, the gate) to start the process of `what`.
pub(crate) fn open_gate(gate: &mut ChildStdin, what: &str) -> Result<()> {
    gate.write_all(b"start\n")
        .and_then(|()| gate.flush())
        .context(format!("telling the monitor of {what} to start"))
}

pub(crate) fn report_error(report: Report, dir: &ContainerDir) -> Error {
    match report {
        Report::StartFailed { exit_code, message } => Error::Start { exit_code, message },
        Report::Error {
            message,
            conflict: true,
        } => Error::Conflict(message),
        Report::Error { message, .. } => Error::Runtime(message),
        other => Error::Runtime(format!(
            "unexpected report from the monitor of {}: {other:?}",
            dir.id()
        )),
    }
}

/// The monitor's report pipe, read line by line with a timeout.
#[derive(Debug)]
pub(crate) struct Reports {
    pipe: ChildStdout,
    buf: Vec<u8>,
}

impl Reports {
    fn new(pipe: ChildStdout) -> Self {
        Reports {
            pipe,
            buf: Vec::new(),
        }
    }

    pub(crate) fn next(&mut self, timeout: Duration) -> Result<Report> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                return serde_json::from_slice(&line).map_err(|e| {
                    Error::Runtime(format!(
                        "malformed report from the monitor: {e}: {}",
                        String::from_utf8_lossy(&line).trim()
                    ))
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Runtime(format!(
                    "the monitor did not report within {}s",
                    timeout.as_secs()
                )));
            }
            let mut fds = [PollFd::new(self.pipe.as_fd(), PollFlags::POLLIN)];
            match poll(
                &mut fds,
                PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX),
            ) {
                Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
                Ok(_) => {}
                Err(e) => return Err(Error::io("waiting for the monitor", e)),
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .pipe
                .read(&mut chunk)
                .context("reading the monitor's report")?;
            if n == 0 {
                return Err(Error::Runtime(
                    "the monitor exited without reporting; see its monitor.log".to_owned(),
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Whether a monitor holds the container's lock (immune to PID reuse: the lock dies with the
/// process).
pub fn monitor_alive(dir: &ContainerDir) -> Result<bool> {
    let path = dir.lock_file();
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::path("opening", &path, e)),
    };
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        Ok(_) => Ok(false),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(true),
        Err((_, e)) => Err(Error::path("testing the lock", &path, e)),
    }
}

/// The container's state from its state directory and its monitor's liveness; what the daemon
/// uses to re-adopt containers after a restart.
pub fn state(dir: &ContainerDir) -> Result<State> {
    if let Some(exit) = dir.read_exit()? {
        return Ok(State::Exited(exit));
    }
    if monitor_alive(dir)? {
        return Ok(match dir.read_started()? {
            Some(started) => State::Running(started),
            None => State::Starting,
        });
    }
    // The monitor may have written exit.json between the two checks.
    Ok(match dir.read_exit()? {
        Some(exit) => State::Exited(exit),
        None => State::Gone,
    })
}

/// Sends `signal` (`KILL`, `SIGTERM`, `9`, ...) to the container's init process via runc.
/// [`Error::Conflict`] when the container is not running.
pub fn kill(runtime: &Runtime, id: &str, signal: &str) -> Result<()> {
    crate::runc::kill(runtime, id, signal)
}

/// Removes the container from runc (killing it if `force`); for containers whose monitor is
/// gone. A container runc does not know is not an error.
pub fn delete(runtime: &Runtime, id: &str, force: bool) -> Result<()> {
    crate::runc::delete(runtime, id, force)
}

/// Waits until the container has exited and returns its exit record; `Ok(None)` when
/// `timeout` passes first. Woken by the monitor's exit frame, not by polling.
/// [`Error::Runtime`] when the monitor died without recording an exit.
pub fn wait_exit(dir: &ContainerDir, timeout: Option<Duration>) -> Result<Option<ExitStatus>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let left = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
    loop {
        if let Some(exit) = dir.read_exit()? {
            return Ok(Some(exit));
        }
        if left().is_some_and(|l| l.is_zero()) {
            return Ok(None);
        }
        match AttachConn::connect(dir) {
            Ok(mut conn) => {
                conn.stream()
                    .set_read_timeout(left().map(|l| l.max(Duration::from_millis(1))))
                    .context("configuring the attach connection")?;
                loop {
                    match conn.read_frame() {
                        Ok(Some(Frame::Exit(exit))) => return Ok(Some(exit)),
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(Error::Io { source, .. })
                            if matches!(
                                source.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) =>
                        {
                            return dir.read_exit();
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(Error::NotFound(_)) => {
                if !monitor_alive(dir)? {
                    return match dir.read_exit()? {
                        Some(exit) => Ok(Some(exit)),
                        None => Err(Error::Runtime(format!(
                            "the monitor of container {} is gone without recording an exit status",
                            dir.id()
                        ))),
                    };
                }
                // Between unlinking the socket and writing exit.json: a few milliseconds.
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
}
